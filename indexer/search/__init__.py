"""The search side of the index: code units, the lexical (BM25) and dense (embedding)
indexes, the symbol table and the unit adjacency that retrieval ranks with, all kept up to
date with the graph by ``indexer.update``."""
