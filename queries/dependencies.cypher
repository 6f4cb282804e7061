// name: dependencies
// purpose: What the given nodes use directly: every node they have a CALLS or REFERENCES
//   edge to, one row per edge, with the line of the use, its resolution and the expression
//   as written there. The mirror of dependents, and the step of callees.
// params: ids (strings) the using nodes' ids
// returns: edge, source, id, kind, name, path, start_line, line, resolution, written
// note: one UNION ALL branch per edge kind, as the relationship type has no common function
//   (type() in Neo4j, label() in Kùzu); rows come in no fixed order.
UNWIND $ids AS source
MATCH (s {id: source})-[r:CALLS]->(d)
RETURN 'CALLS' AS edge, source, d.id AS id, d.kind AS kind, d.name AS name, d.path AS path,
       d.start_line AS start_line, r.line AS line, r.resolution AS resolution, r.name AS written
UNION ALL
UNWIND $ids AS source
MATCH (s {id: source})-[r:REFERENCES]->(d)
RETURN 'REFERENCES' AS edge, source, d.id AS id, d.kind AS kind, d.name AS name, d.path AS path,
       d.start_line AS start_line, r.line AS line, r.resolution AS resolution, r.name AS written
