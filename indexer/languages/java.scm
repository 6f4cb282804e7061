; repolens extraction query for Java (tree-sitter-java 0.23).
; Capture names are the contract read by indexer/extract.py (see its docstring).

; ---- the package the file declares: its top-level classes belong to it
(package_declaration [(identifier) (scoped_identifier)] @package)

; ---- definitions: classes, interfaces, enums, records and annotation types are classes.
; Bases: each type of the `extends`/`implements` clauses (`Base`, `Outer.Inner`, `Base<T>`), the
; superclass first. The commas are in the repeated alternation so that all of a list's types
; come in one match (without them, each would make a match, and the class a definition, of its
; own).
(class_declaration
  name: (identifier) @name
  superclass: (superclass [(type_identifier) (scoped_type_identifier) (generic_type)] @bases)?
  interfaces: (super_interfaces (type_list
    [(type_identifier) @bases (scoped_type_identifier) @bases (generic_type) @bases
     "," (line_comment) (block_comment)]*))?
  body: (_) @body) @definition.class
(interface_declaration
  name: (identifier) @name
  (extends_interfaces (type_list
    [(type_identifier) @bases (scoped_type_identifier) @bases (generic_type) @bases
     "," (line_comment) (block_comment)]*))?
  body: (_) @body) @definition.class
(enum_declaration
  name: (identifier) @name
  interfaces: (super_interfaces (type_list
    [(type_identifier) @bases (scoped_type_identifier) @bases (generic_type) @bases
     "," (line_comment) (block_comment)]*))?
  body: (_) @body) @definition.class
(record_declaration
  name: (identifier) @name
  interfaces: (super_interfaces (type_list
    [(type_identifier) @bases (scoped_type_identifier) @bases (generic_type) @bases
     "," (line_comment) (block_comment)]*))?
  body: (_) @body) @definition.class
(annotation_type_declaration name: (identifier) @name body: (_) @body) @definition.class

; methods, with the class type they return (`void`, primitives and arrays name none); one
; without a body (an interface or abstract method) is a declaration
(method_declaration
  type: [(type_identifier) (scoped_type_identifier) (generic_type)] @returns
  name: (identifier) @name body: (_) @body) @definition.function
(method_declaration
  type: [(type_identifier) (scoped_type_identifier) (generic_type)] @returns
  name: (identifier) @name !body) @definition.function
(method_declaration
  type: [(void_type) (integral_type) (floating_point_type) (boolean_type) (array_type)]
  name: (identifier) @name body: (_) @body) @definition.function
(method_declaration
  type: [(void_type) (integral_type) (floating_point_type) (boolean_type) (array_type)]
  name: (identifier) @name !body) @definition.function
; constructors are methods named like their class (`new Car()` is a call of the class Car)
(constructor_declaration name: (identifier) @name body: (_) @body) @definition.function
(compact_constructor_declaration name: (identifier) @name body: (_) @body) @definition.function

; ---- Javadoc: a /** */ comment right before a declaration (its annotations are inside it)
((block_comment) @doc
  . [(class_declaration) (interface_declaration) (enum_declaration) (record_declaration)
     (annotation_type_declaration) (method_declaration) (constructor_declaration)] @doc.owner
  (#match? @doc "^/[*][*]"))

; ---- imports: `import a.b.C;` is the member C of a.b; `import static a.b.Util.max;` the member
; max of a.b.Util (the module system splits it into the package a.b and the class Util);
; `import a.b.*;` and `import static a.b.Util.*;` make all of a module's names visible
(import_declaration
  (scoped_identifier scope: (_) @import.module name: (identifier) @import.name) . ";")
(import_declaration [(identifier) (scoped_identifier)] @import.module (asterisk) @import.wildcard)

; ---- calls: `a.run()` has no callee node, the invocation itself is the call; `new Foo()`
; calls the class; `super(...)` in a constructor calls the parent class
(method_invocation) @call
(object_creation_expression type: [(type_identifier) (scoped_type_identifier)] @call)
(object_creation_expression type: (generic_type . [(type_identifier) (scoped_type_identifier)] @call))
(explicit_constructor_invocation constructor: (super) @call)

; ---- references: names used as values where classes and methods travel
(argument_list [(identifier) (field_access)] @reference)
(return_statement [(identifier) (field_access)] @reference)
(class_literal [(type_identifier) (scoped_type_identifier)] @reference)
(method_reference . [(identifier) (field_access) (type_identifier) (scoped_type_identifier)] @reference)
(cast_expression type: [(type_identifier) (scoped_type_identifier)] @reference)
(instanceof_expression right: [(type_identifier) (scoped_type_identifier)] @reference)

; ---- typed names: locals, fields, loop variables, resources, patterns. Only class types are
; types here: an array (`Engine[] all`) is no Engine, `var` infers the type from the value
; (below), and a primitive (`int run`) only hides what it names.
((local_variable_declaration
  type: [(type_identifier) (scoped_type_identifier) (generic_type)] @bind.type
  declarator: (variable_declarator name: (identifier) @bind.target))
  (#not-eq? @bind.type "var"))
(field_declaration
  type: [(type_identifier) (scoped_type_identifier) (generic_type)] @bind.type
  declarator: (variable_declarator name: (identifier) @bind.target))
(constant_declaration
  type: [(type_identifier) (scoped_type_identifier) (generic_type)] @bind.type
  declarator: (variable_declarator name: (identifier) @bind.target))
((enhanced_for_statement
  type: [(type_identifier) (scoped_type_identifier) (generic_type)] @bind.type
  name: (identifier) @bind.target)
  (#not-eq? @bind.type "var"))
(resource type: [(type_identifier) (scoped_type_identifier) (generic_type)] @bind.type name: (identifier) @bind.target)
(instanceof_expression
  right: [(type_identifier) (scoped_type_identifier) (generic_type)] @bind.type
  name: (identifier) @bind.target)
(type_pattern [(type_identifier) (scoped_type_identifier) (generic_type)] @bind.type . (identifier) @bind.target)
((local_variable_declaration
  type: (type_identifier) @_var
  declarator: (variable_declarator name: (identifier) @bind.target value: (_) @bind.value))
  (#eq? @_var "var"))
((enhanced_for_statement type: (type_identifier) @_var name: (identifier) @bind.target value: (_) @bind.iter)
  (#eq? @_var "var"))
(local_variable_declaration
  type: [(integral_type) (floating_point_type) (boolean_type) (array_type)]
  declarator: (variable_declarator name: (identifier) @bind.target))
(field_declaration
  type: [(integral_type) (floating_point_type) (boolean_type) (array_type)]
  declarator: (variable_declarator name: (identifier) @bind.target))
(catch_formal_parameter name: (identifier) @bind.target)

; ---- parameters with their types
(formal_parameter
  type: [(type_identifier) (scoped_type_identifier) (generic_type)] @param.type
  name: (identifier) @param.name)
(formal_parameter
  type: [(integral_type) (floating_point_type) (boolean_type) (array_type)]
  name: (identifier) @param.name)
(spread_parameter (variable_declarator name: (identifier) @param.name))
(lambda_expression parameters: (identifier) @param.lambda)
(lambda_expression parameters: (inferred_parameters (identifier) @param.lambda))
(lambda_expression parameters: (formal_parameters (formal_parameter name: (identifier) @param.lambda)))
