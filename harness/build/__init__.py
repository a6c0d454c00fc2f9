"""`harness build`: draft facts from documents, verify every draft against its document, and
write a task suite (facts marked `status: draft`) plus `rejected.jsonl` with every rejection."""
