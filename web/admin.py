"""The admin page: `GET /admin[?collection=<name>]`, a collection's documents managed in the browser.

The page is a shell: its script (static/admin.js) lists, creates, uploads, deletes and reindexes
through the JSON API (`/api/collections…`), so it can do exactly what the key it holds may do.
The shell holds nothing private and is served even while keys close the chat page
(`web.access.OPEN_PATHS`); with keys set, the script asks for one and sends it as a Bearer token.
"""

from __future__ import annotations

import json

from flask import Blueprint, current_app, render_template, request

from web.access import COLLECTION_NAME
from web.chat import page_language

bp = Blueprint("admin", __name__)

POLL_MS = 1500  # how often the page looks again while a document is queued or being indexed

TEXT: dict[str, dict[str, str]] = {
    "zh": {
        "title": "ragqa 管理",
        "tagline": "管理文档集合：上传、删除、重新索引，并查看每个文档的状态。",
        "to_chat": "去提问",
        "switch": "English",
        "key_legend": "API 密钥",
        "key_hint": "本服务器需要 API 密钥。密钥只保存在本标签页中（sessionStorage）。",
        "key_label": "密钥",
        "key_use": "使用密钥",
        "key_forget": "忘记密钥",
        "key_held": "正在使用已保存的密钥。",
        "collections": "文档集合",
        "col_name": "名称",
        "col_documents": "文档",
        "col_passages": "段落",
        "col_version": "版本",
        "read_only": "只读",
        "open": "打开",
        "none_yet": "还没有文档集合。",
        "create_label": "新集合名称",
        "create_hint": "小写字母、数字、_ 和 -，最多 64 个字符",
        "create": "创建",
        "created": "已创建集合 {name}。",
        "documents": "文档",
        "reindex": "重新索引",
        "reindexing": "已排队重新索引 {name}。",
        "read_only_note": "这个集合只读：它由服务器的 RAGQA_INDEX 提供，只能在服务器上用 ragqa index 更改。",
        "drop": "把文件拖到这里，或",
        "choose": "选择文件",
        "metadata_label": "元数据（可选，JSON 对象，应用于本次上传的每个文件）",
        "metadata_invalid": '元数据必须是 JSON 对象，例如 {"team": "ops"}',
        "uploading": "正在上传 {n} 个文件…",
        "uploaded": "已上传 {n} 个文件，等待索引。",
        "doc_name": "文件",
        "doc_status": "状态",
        "doc_reason": "原因",
        "doc_metadata": "元数据",
        "doc_size": "大小",
        "doc_updated": "更新时间",
        "delete": "删除",
        "confirm_delete": "删除 {name}？",
        "deleting_one": "正在删除 {name}。",
        "no_documents": "这个集合还没有文档。",
        "status_queued": "排队中",
        "status_indexing": "索引中",
        "status_ready": "就绪",
        "status_failed": "失败",
        "status_deleting": "删除中",
        "error": "出错了",
        "network_error": "无法连接服务器，请稍后重试。",
        "err_unauthorized": "需要有效的 API 密钥。",
        "err_forbidden": "这个密钥没有权限执行此操作（需要写权限的密钥）。",
    },
    "en": {
        "title": "ragqa admin",
        "tagline": "Manage collections: upload, delete and reindex documents, and follow each one's status.",
        "to_chat": "Ask questions",
        "switch": "中文",
        "key_legend": "API key",
        "key_hint": "This server needs an API key. The key is kept in this tab only (sessionStorage).",
        "key_label": "Key",
        "key_use": "Use key",
        "key_forget": "Forget key",
        "key_held": "Using the saved key.",
        "collections": "Collections",
        "col_name": "Name",
        "col_documents": "Documents",
        "col_passages": "Passages",
        "col_version": "Version",
        "read_only": "read-only",
        "open": "Open",
        "none_yet": "No collections yet.",
        "create_label": "New collection name",
        "create_hint": "lower-case letters, digits, _ and -, up to 64",
        "create": "Create",
        "created": "Created collection {name}.",
        "documents": "Documents",
        "reindex": "Reindex",
        "reindexing": "Queued a reindex of {name}.",
        "read_only_note": "This collection is read-only: it is the server's RAGQA_INDEX, changed on the server "
        "with ragqa index.",
        "drop": "Drop files here, or",
        "choose": "choose files",
        "metadata_label": "Metadata (optional, a JSON object, applied to every file of this upload)",
        "metadata_invalid": 'Metadata must be a JSON object, e.g. {"team": "ops"}',
        "uploading": "Uploading {n} file(s)…",
        "uploaded": "Uploaded {n} file(s); queued for indexing.",
        "doc_name": "File",
        "doc_status": "Status",
        "doc_reason": "Reason",
        "doc_metadata": "Metadata",
        "doc_size": "Size",
        "doc_updated": "Updated",
        "delete": "Delete",
        "confirm_delete": "Delete {name}?",
        "deleting_one": "Deleting {name}.",
        "no_documents": "No documents in this collection yet.",
        "status_queued": "queued",
        "status_indexing": "indexing",
        "status_ready": "ready",
        "status_failed": "failed",
        "status_deleting": "deleting",
        "error": "Error",
        "network_error": "Cannot reach the server; please try again.",
        "err_unauthorized": "A valid API key is needed.",
        "err_forbidden": "This key may not do that (it needs a write key).",
    },
}


@bp.get("/admin")
def page():
    """Show the admin page; `?collection=` opens that collection's documents."""
    lang = page_language()
    asked = request.args.get("collection", "")
    page = render_template(
        "admin.html",
        lang=lang,
        t=TEXT[lang],
        t_json=json.dumps(TEXT[lang], ensure_ascii=False),
        keyed=bool(current_app.config["RAGQA_API_KEYS"]),
        collection=asked if COLLECTION_NAME.fullmatch(asked) else "",
        poll_ms=POLL_MS,
    )
    return page, 200, {"Cache-Control": "no-store"}
