"""Retrieval over the code graph: code units, lexical (BM25) and dense (embedding) indexes,
and the hierarchical localizer built on them."""
