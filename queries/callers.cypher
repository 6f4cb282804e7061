// name: callers
// purpose: Functions, classes and files that call the given node, directly or through up to
//   depth calls. depth is the fewest calls between them; resolution is the weakest edge
//   resolution on the best such shortest chain (exact > inferred > external > unresolved).
//   The node itself is never listed, even when it is recursive.
// params: id (string) the callee's id; depth (int, default 1, min 1, max 5) how many calls
//   to follow back
// returns: id, kind, name, path, start_line, depth, resolution
// note: Cypher cannot take a parameter as a variable-length bound, so the pattern is fixed at
//   *1..5 and filtered with length(p) <= $depth; raise both together. The weakest resolution
//   is ranked 0..3 and folded into one min() with the depth (depth * 10 + rank). The all()
//   tests are bound in a WITH first and compared with = true: Kùzu 0.11.3 mis-evaluates
//   all() inside CASE WHEN, and a bare boolean variable as a WHEN condition (wrong ranks
//   on graphs of a few hundred calls). The pattern starts at the given node, as servers
//   with simpler planners (ArcadeDB) expand from the first node written.
MATCH p = (t {id: $id})<-[:CALLS*1..5]-(c)
WHERE length(p) <= $depth AND c.id <> $id
WITH c, length(p) AS hops,
     all(r IN relationships(p) WHERE r.resolution = 'exact') AS exact,
     all(r IN relationships(p) WHERE r.resolution IN ['exact', 'inferred']) AS inferred,
     all(r IN relationships(p) WHERE r.resolution IN ['exact', 'inferred', 'external']) AS external
WITH c, hops, CASE WHEN exact = true THEN 0 WHEN inferred = true THEN 1
                   WHEN external = true THEN 2 ELSE 3 END AS rank
WITH c, min(hops * 10 + rank) AS best
RETURN c.id AS id, c.kind AS kind, c.name AS name, c.path AS path,
       c.start_line AS start_line, best / 10 AS depth,
       CASE best % 10 WHEN 0 THEN 'exact' WHEN 1 THEN 'inferred' WHEN 2 THEN 'external'
         ELSE 'unresolved' END AS resolution
ORDER BY depth, id
