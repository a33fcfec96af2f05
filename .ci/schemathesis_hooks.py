"""Schemathesis hooks: a Word document body (POST /transcripts/docx-text) is
sent as raw bytes, as an application/octet-stream body is."""
import schemathesis

schemathesis.serializer.alias(
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/octet-stream",
)
