// name: superclasses
// purpose: Classes and external or unresolved symbols the given class inherits from,
//   directly or through up to depth inheritance steps; depth is the fewest steps.
// params: id (string) the class's id; depth (int, default 5, min 1, max 5) how many
//   inheritance steps to follow
// returns: id, kind, name, path, start_line, depth
// note: the pattern is fixed at *1..5 and filtered with length(p) <= $depth, as Cypher
//   cannot take a parameter as a variable-length bound.
MATCH p = (c {id: $id})-[:INHERITS*1..5]->(s)
WHERE length(p) <= $depth
RETURN s.id AS id, s.kind AS kind, s.name AS name, s.path AS path,
       s.start_line AS start_line, min(length(p)) AS depth
ORDER BY depth, id
