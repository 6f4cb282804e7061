// name: file_outline
// purpose: Classes, functions and methods defined in one file, in source order, with the id
//   of the class or function that directly contains each (null at module level).
// params: path (string) the file's repository-relative path, e.g. pkg/core.py
// returns: id, kind, name, qualname, start_line, end_line, signature, doc, parent
MATCH (n)
WHERE n.path = $path AND n.kind IN ['class', 'function', 'method']
OPTIONAL MATCH (p)-[:CONTAINS]->(n)
WHERE p.kind IN ['class', 'function', 'method']
RETURN n.id AS id, n.kind AS kind, n.name AS name, n.qualname AS qualname,
       n.start_line AS start_line, n.end_line AS end_line, n.signature AS signature,
       n.doc AS doc, p.id AS parent
ORDER BY start_line, id
