// name: dependents
// purpose: What uses the given nodes directly: every node with a CALLS, REFERENCES, INHERITS or
//   IMPORTS edge to one of them, one row per edge, with the line of the use, its resolution and
//   the expression as written there.
//   The building block of references and impact analysis.
// params: ids (strings) the used nodes' ids
// returns: edge, target, id, kind, name, path, start_line, line, resolution, written
// note: one UNION ALL branch per edge kind, as the relationship type has no common function
//   (type() in Neo4j, label() in Kùzu); rows come in no fixed order.
UNWIND $ids AS target
MATCH (t {id: target})<-[r:CALLS]-(d)
RETURN 'CALLS' AS edge, target, d.id AS id, d.kind AS kind, d.name AS name, d.path AS path,
       d.start_line AS start_line, r.line AS line, r.resolution AS resolution, r.name AS written
UNION ALL
UNWIND $ids AS target
MATCH (t {id: target})<-[r:REFERENCES]-(d)
RETURN 'REFERENCES' AS edge, target, d.id AS id, d.kind AS kind, d.name AS name, d.path AS path,
       d.start_line AS start_line, r.line AS line, r.resolution AS resolution, r.name AS written
UNION ALL
UNWIND $ids AS target
MATCH (t {id: target})<-[r:INHERITS]-(d)
RETURN 'INHERITS' AS edge, target, d.id AS id, d.kind AS kind, d.name AS name, d.path AS path,
       d.start_line AS start_line, r.line AS line, r.resolution AS resolution, r.name AS written
UNION ALL
UNWIND $ids AS target
MATCH (t {id: target})<-[r:IMPORTS]-(d)
RETURN 'IMPORTS' AS edge, target, d.id AS id, d.kind AS kind, d.name AS name, d.path AS path,
       d.start_line AS start_line, r.line AS line, r.resolution AS resolution, r.name AS written
