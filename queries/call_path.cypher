// name: call_path
// purpose: A shortest chain of calls from one node to another, if there is one within
//   max_depth calls: one row, or none.
// params: source (string) the calling node's id; target (string) the called node's id;
//   max_depth (int, default 6, min 1, max 6) the longest chain to look for
// returns: depth, path
// note: path is the list of nodes on the chain, source first, each a dict of its properties
//   (id, name, kind, path, ...). The pattern is fixed at *1..6 and filtered with
//   length(p) <= $max_depth, as bounds cannot be parameters; among equally short chains
//   either may come back. Kùzu's SHORTEST and Neo4j's shortestPath() differ, so neither is used.
MATCH p = (a {id: $source})-[:CALLS*1..6]->(b {id: $target})
WHERE length(p) <= $max_depth
RETURN length(p) AS depth, nodes(p) AS path
ORDER BY depth
LIMIT 1
