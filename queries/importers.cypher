// name: importers
// purpose: Files that import the given file or anything defined in it (a class, function or
//   method whose path is that file), one row per import.
// params: path (string) the imported file's repository-relative path
// returns: id, line, imported_as, target, target_kind
MATCH (f:File)-[r:IMPORTS]->(t)
WHERE t.path = $path
RETURN f.id AS id, r.line AS line, r.name AS imported_as, t.id AS target,
       t.kind AS target_kind
ORDER BY id, line, target
