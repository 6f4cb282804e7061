// name: imports
// purpose: What one file imports: files, classes, functions and external or unresolved
//   symbols, with the line and the name as written there.
// params: path (string) the importing file's repository-relative path
// returns: id, kind, name, path, line, imported_as, resolution
MATCH (f:File {id: $path})-[r:IMPORTS]->(t)
RETURN t.id AS id, t.kind AS kind, t.name AS name, t.path AS path, r.line AS line,
       r.name AS imported_as, r.resolution AS resolution
ORDER BY line, id
