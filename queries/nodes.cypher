// name: nodes
// purpose: The nodes with the given ids (files, classes, functions, methods, symbols) with
//   their location, signature and first docstring line; ids that name nothing are left out.
// params: ids (strings) the nodes' ids
// returns: id, kind, name, qualname, path, start_line, end_line, signature, doc
UNWIND $ids AS wanted
MATCH (n {id: wanted})
RETURN n.id AS id, n.kind AS kind, n.name AS name, n.qualname AS qualname, n.path AS path,
       n.start_line AS start_line, n.end_line AS end_line, n.signature AS signature, n.doc AS doc
ORDER BY id
