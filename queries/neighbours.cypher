// name: neighbours
// purpose: Every node one edge away from the given node, in either direction, with the edge
//   kind, its direction seen from the given node (out: given -> other), line and resolution.
// params: id (string) the node's id
// returns: edge, direction, id, kind, name, path, line, resolution
// note: one UNION ALL branch per edge kind and direction, because the relationship type has
//   no common function (type() in Neo4j, label() in Kùzu); rows come in no fixed order.
MATCH (n {id: $id})-[r:CONTAINS]->(m)
RETURN 'CONTAINS' AS edge, 'out' AS direction, m.id AS id, m.kind AS kind, m.name AS name,
       m.path AS path, r.line AS line, r.resolution AS resolution
UNION ALL
MATCH (n {id: $id})<-[r:CONTAINS]-(m)
RETURN 'CONTAINS' AS edge, 'in' AS direction, m.id AS id, m.kind AS kind, m.name AS name,
       m.path AS path, r.line AS line, r.resolution AS resolution
UNION ALL
MATCH (n {id: $id})-[r:IMPORTS]->(m)
RETURN 'IMPORTS' AS edge, 'out' AS direction, m.id AS id, m.kind AS kind, m.name AS name,
       m.path AS path, r.line AS line, r.resolution AS resolution
UNION ALL
MATCH (n {id: $id})<-[r:IMPORTS]-(m)
RETURN 'IMPORTS' AS edge, 'in' AS direction, m.id AS id, m.kind AS kind, m.name AS name,
       m.path AS path, r.line AS line, r.resolution AS resolution
UNION ALL
MATCH (n {id: $id})-[r:CALLS]->(m)
RETURN 'CALLS' AS edge, 'out' AS direction, m.id AS id, m.kind AS kind, m.name AS name,
       m.path AS path, r.line AS line, r.resolution AS resolution
UNION ALL
MATCH (n {id: $id})<-[r:CALLS]-(m)
RETURN 'CALLS' AS edge, 'in' AS direction, m.id AS id, m.kind AS kind, m.name AS name,
       m.path AS path, r.line AS line, r.resolution AS resolution
UNION ALL
MATCH (n {id: $id})-[r:INHERITS]->(m)
RETURN 'INHERITS' AS edge, 'out' AS direction, m.id AS id, m.kind AS kind, m.name AS name,
       m.path AS path, r.line AS line, r.resolution AS resolution
UNION ALL
MATCH (n {id: $id})<-[r:INHERITS]-(m)
RETURN 'INHERITS' AS edge, 'in' AS direction, m.id AS id, m.kind AS kind, m.name AS name,
       m.path AS path, r.line AS line, r.resolution AS resolution
UNION ALL
MATCH (n {id: $id})-[r:REFERENCES]->(m)
RETURN 'REFERENCES' AS edge, 'out' AS direction, m.id AS id, m.kind AS kind, m.name AS name,
       m.path AS path, r.line AS line, r.resolution AS resolution
UNION ALL
MATCH (n {id: $id})<-[r:REFERENCES]-(m)
RETURN 'REFERENCES' AS edge, 'in' AS direction, m.id AS id, m.kind AS kind, m.name AS name,
       m.path AS path, r.line AS line, r.resolution AS resolution
