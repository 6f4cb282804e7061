// name: subclasses
// purpose: Classes that inherit from the given class, directly or through up to depth
//   inheritance steps; depth is the fewest steps.
// params: id (string) the base class's id (or an external symbol's, e.g. extern::Exception);
//   depth (int, default 5, min 1, max 5) how many inheritance steps to follow
// returns: id, name, path, start_line, depth
// note: the pattern is fixed at *1..5 and filtered with length(p) <= $depth, as Cypher
//   cannot take a parameter as a variable-length bound. The pattern starts at the given node,
//   as servers with simpler planners (ArcadeDB) expand from the first node written.
MATCH p = (b {id: $id})<-[:INHERITS*1..5]-(s:Class)
WHERE length(p) <= $depth
RETURN s.id AS id, s.name AS name, s.path AS path, s.start_line AS start_line,
       min(length(p)) AS depth
ORDER BY depth, id
