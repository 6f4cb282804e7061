// name: stats
// purpose: How many nodes of each kind and edges of each type the graph holds.
// params: none
// returns: element, type, count
// note: element is node or edge; type is the node kind or edge type. Edge types with no
//   edges count 0 (OPTIONAL MATCH, as a constant column is a grouping key and an empty MATCH
//   would give no row); node kinds with no nodes are left out. One UNION ALL branch per edge
//   type, as the relationship type has no common function; the node branch skips nodes
//   without a kind (the store's own Meta records).
MATCH (n)
WHERE n.kind IS NOT NULL
RETURN 'node' AS element, n.kind AS type, count(*) AS count
UNION ALL
OPTIONAL MATCH ()-[r:CONTAINS]->()
RETURN 'edge' AS element, 'CONTAINS' AS type, count(r) AS count
UNION ALL
OPTIONAL MATCH ()-[r:IMPORTS]->()
RETURN 'edge' AS element, 'IMPORTS' AS type, count(r) AS count
UNION ALL
OPTIONAL MATCH ()-[r:CALLS]->()
RETURN 'edge' AS element, 'CALLS' AS type, count(r) AS count
UNION ALL
OPTIONAL MATCH ()-[r:INHERITS]->()
RETURN 'edge' AS element, 'INHERITS' AS type, count(r) AS count
UNION ALL
OPTIONAL MATCH ()-[r:REFERENCES]->()
RETURN 'edge' AS element, 'REFERENCES' AS type, count(r) AS count
