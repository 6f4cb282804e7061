// name: callees
// purpose: What the given node calls, directly or through up to depth calls, including
//   external and unresolved symbols. depth is the fewest calls between them; resolution is
//   the weakest edge resolution on the best such shortest chain (exact > inferred >
//   external > unresolved).
//   The node itself is never listed, even when it is recursive.
// params: id (string) the caller's id; depth (int, default 1, min 1, max 5) how many calls
//   to follow
// returns: id, kind, name, path, start_line, depth, resolution
// note: Kùzu variant. The common text enumerates every path up to depth 5, which explodes on
//   a hot function (thousands of callers) and all() over more than 2048 recursive paths
//   crashes Kùzu 0.11.3. Here ALL SHORTEST keeps only the shortest paths to each node, and the weakest
//   resolution is read with Kùzu's properties(rels(p), ...) and list_contains instead of all(),
//   bound in a WITH and compared with = true (Kùzu mis-evaluates functions in CASE WHEN).
MATCH p = (s {id: $id})-[:CALLS* ALL SHORTEST 1..5]->(c)
WHERE length(p) <= $depth AND c.id <> $id
WITH c, length(p) AS hops, properties(rels(p), 'resolution') AS how
WITH c, hops, list_contains(how, 'unresolved') AS u, list_contains(how, 'external') AS x,
     list_contains(how, 'inferred') AS i
WITH c, hops, CASE WHEN u = true THEN 3 WHEN x = true THEN 2 WHEN i = true THEN 1 ELSE 0 END AS rank
WITH c, min(hops * 10 + rank) AS best
RETURN c.id AS id, c.kind AS kind, c.name AS name, c.path AS path,
       c.start_line AS start_line, best / 10 AS depth,
       CASE best % 10 WHEN 0 THEN 'exact' WHEN 1 THEN 'inferred' WHEN 2 THEN 'external'
         ELSE 'unresolved' END AS resolution
ORDER BY depth, id
