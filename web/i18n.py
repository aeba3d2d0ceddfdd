"""UI text in Chinese and English; the page follows the browser's Accept-Language."""

from __future__ import annotations

LANGUAGES = ("zh", "en")

TEXT: dict[str, dict[str, str]] = {
    "zh": {
        "title": "ragqa 文档问答",
        "tagline": "就文档集合提问，答案会在原文中高亮显示。",
        "label": "你的问题",
        "placeholder": "例如：福建三峡海上风电国际产业园占地多少亩？",
        "ask": "提问",
        "asking": "正在查找答案…",
        "hint": "Enter 发送，Shift+Enter 换行",
        "answer": "答案",
        "confidence": "置信度",
        "no_answer": "未找到答案：文档中似乎没有这个问题的答案。以下是最接近的段落。",
        "passages": "相关段落",
        "source": "来源",
        "legend": "图例",
        "legend_answer": "答案",
        "legend_sentence": "支持句",
        "legend_term": "问题词",
        "clear_history": "清空对话",
        "you": "你",
        "error": "出错了",
        "network_error": "无法连接服务器，请稍后重试。",
        "empty": "请输入问题。",
        "switch": "English",
        "copy_answer": "复制答案",
        "copied": "已复制",
        "err_empty_question": "问题为空，请输入问题。",
        "err_question_too_long": "问题太长，最多 512 个字符。",
        "err_index_unavailable": "索引尚未就绪，请先运行 ragqa index。",
        "err_model_not_found": "嵌入模型未安装，请先运行 make setup。",
        "err_model_mismatch": "索引与配置的模型不一致，请重新运行 ragqa index。",
    },
    "en": {
        "title": "ragqa — ask your documents",
        "tagline": "Ask a question about the collection; the answer is highlighted in its passage.",
        "label": "Your question",
        "placeholder": "e.g. 福建三峡海上风电国际产业园占地多少亩？",
        "ask": "Ask",
        "asking": "Looking for the answer…",
        "hint": "Enter sends, Shift+Enter adds a line",
        "answer": "Answer",
        "confidence": "confidence",
        "no_answer": "No answer found: the documents do not seem to answer this. The closest passages are below.",
        "passages": "Passages",
        "source": "source",
        "legend": "Legend",
        "legend_answer": "answer",
        "legend_sentence": "supporting sentence",
        "legend_term": "question term",
        "clear_history": "Clear conversation",
        "you": "You",
        "error": "Error",
        "network_error": "Cannot reach the server; please try again.",
        "empty": "Please type a question.",
        "switch": "中文",
        "copy_answer": "Copy answer",
        "copied": "Copied",
    },
}


def best_language(accept: list[tuple[str, float]], requested: str | None) -> str:
    """An explicit ?lang= wins; otherwise the first supported language the browser accepts."""
    if requested in LANGUAGES:
        return requested  # type: ignore[return-value]
    for value, _quality in accept:
        primary = value.split("-")[0].lower()
        if primary in LANGUAGES:
            return primary
    return "en"
