; repolens extraction query: what only C++ has (joined after c.scm, whose patterns hold here).
; Capture names are the contract read by indexer/extract.py (see its docstring).

; ---- namespaces and classes are classes (lexical containers); `namespace a::b {}` is `a` with
; `b` inside it (its body stands for `b`); an anonymous namespace is no container
(namespace_definition name: (namespace_identifier) @name body: (_) @body) @definition.class
(namespace_definition
  name: (nested_namespace_specifier . (namespace_identifier) @name)
  body: (_) @body) @definition.class
(namespace_definition
  name: (nested_namespace_specifier (namespace_identifier) @name .)
  body: (_) @body @definition.class)
(class_specifier name: (type_identifier) @name (_)* @bases body: (_) @body) @definition.class
; a specialisation (`template <> class Box<int> {}`) adds to its template's name
(class_specifier name: (template_type name: (type_identifier) @name) (_)* @bases body: (_) @body) @definition.class
(struct_specifier name: (template_type name: (type_identifier) @name) (_)* @bases body: (_) @body) @definition.class

; ---- functions with C++ names: methods defined in their class (`void run() {}`), operators,
; destructors, and functions returning references
(function_definition
  type: (_)? @returns
  declarator: [
    (function_declarator declarator: [(field_identifier) (destructor_name) (operator_name)] @name)
    (pointer_declarator declarator: (function_declarator declarator: [(field_identifier) (operator_name)] @name))
    (reference_declarator (function_declarator declarator: [(identifier) (field_identifier) (operator_name)] @name))
  ]
  body: (_) @body) @definition.function

; a member defined outside its class (`void Engine::run() {}`): the method `Engine.run`; inside
; `namespace app {}`, `app.Engine.run`. `Box<T>::get` belongs to `Box`; in `app::Engine::run`
; the class is `Engine`
(function_definition
  type: (_)? @returns
  declarator: [
    (function_declarator declarator: (qualified_identifier
      scope: (_) @owner name: [(identifier) (destructor_name) (operator_name)] @name))
    (pointer_declarator declarator: (function_declarator declarator: (qualified_identifier
      scope: (_) @owner name: [(identifier) (operator_name)] @name)))
    (reference_declarator (function_declarator declarator: (qualified_identifier
      scope: (_) @owner name: [(identifier) (operator_name)] @name)))
    (function_declarator declarator: (qualified_identifier name: (qualified_identifier
      scope: (_) @owner name: [(identifier) (destructor_name) (operator_name)] @name)))
  ]
  body: (_) @body) @definition.function

; ---- declarations: methods declared in their class (defined outside it, or pure virtual),
; constructors and destructors declared in their class, templates declared, and prototypes
; returning references
(field_declaration
  type: (_)? @returns
  declarator: [
    (function_declarator declarator: [(field_identifier) (operator_name) (destructor_name)] @name)
    (pointer_declarator declarator: (function_declarator declarator: [(field_identifier) (operator_name)] @name))
    (reference_declarator (function_declarator declarator: [(field_identifier) (operator_name)] @name))
  ]) @definition.function
(field_declaration_list (declaration
  declarator: (function_declarator declarator: [(identifier) (destructor_name)] @name)) @definition.function)
(template_declaration (declaration
  type: (_) @returns
  declarator: [
    (function_declarator declarator: (identifier) @name)
    (pointer_declarator declarator: (function_declarator declarator: (identifier) @name))
    (reference_declarator (function_declarator declarator: (identifier) @name))
  ]) @definition.function)
(translation_unit (declaration
  type: (_) @returns
  declarator: (reference_declarator (function_declarator declarator: (identifier) @name))) @definition.function)
(declaration_list (declaration
  type: (_) @returns
  declarator: (reference_declarator (function_declarator declarator: (identifier) @name))) @definition.function)

; ---- docs (c.scm has those before functions, prototypes and structs)
((comment) @doc . [(class_specifier) (namespace_definition) (field_declaration)] @doc.owner
  (#match? @doc "^(/[*][*]|///)"))
((comment) @doc . (template_declaration [(function_definition) (declaration) (class_specifier) (struct_specifier)] @doc.owner)
  (#match? @doc "^(/[*][*]|///)"))

; ---- calls: `new Engine(...)`, `Engine e(3)` and `Engine e{3}` construct an Engine (a call of
; the class); `Engine e(part);` reads as a prototype but in a body declares e
(new_expression type: (_) @call)
(declaration type: (_) @call declarator: (init_declarator value: [(argument_list) (initializer_list)]))
(compound_statement (declaration
  type: [(type_identifier) (qualified_identifier) (template_type)] @call
  declarator: (function_declarator declarator: (identifier) parameters: (parameter_list (_)))))

; ---- aliases: `using app::Engine;`, `using Alias = Engine;`
(using_declaration (qualified_identifier name: (_) @bind.target) @bind.value)
(alias_declaration
  name: (type_identifier) @bind.target
  type: (type_descriptor type: [(type_identifier) (qualified_identifier) (template_type)] @bind.value))

; ---- typed names: qualified and template types, references, `auto` from a value
(parameter_declaration
  type: [(qualified_identifier) (template_type)] @param.type
  declarator: [
    (identifier) @param.name
    (pointer_declarator declarator: (identifier) @param.name)
    (reference_declarator (identifier) @param.name)
  ])
(parameter_declaration
  type: [(type_identifier) (struct_specifier)] @param.type
  declarator: (reference_declarator (identifier) @param.name))
(parameter_declaration
  type: [(primitive_type) (sized_type_specifier) (placeholder_type_specifier)]
  declarator: (reference_declarator (identifier) @param.name))
(declaration
  type: [(qualified_identifier) (template_type)] @bind.type
  declarator: [
    (identifier) @bind.target
    (pointer_declarator declarator: (identifier) @bind.target)
    (init_declarator declarator: (identifier) @bind.target)
    (init_declarator declarator: (pointer_declarator declarator: (identifier) @bind.target))
  ])
(declaration
  type: [(type_identifier) (qualified_identifier) (template_type)] @bind.type
  declarator: [
    (reference_declarator (identifier) @bind.target)
    (init_declarator declarator: (reference_declarator (identifier) @bind.target))
  ])
(compound_statement (declaration
  type: [(type_identifier) (qualified_identifier) (template_type)] @bind.type
  declarator: (function_declarator declarator: (identifier) @bind.target parameters: (parameter_list (_)))))
(declaration
  type: (placeholder_type_specifier)
  declarator: (init_declarator
    declarator: [
      (identifier) @bind.target
      (pointer_declarator declarator: (identifier) @bind.target)
      (reference_declarator (identifier) @bind.target)
    ]
    value: (_) @bind.value))
(field_declaration
  type: [(qualified_identifier) (template_type)] @bind.type
  declarator: [
    (field_identifier) @bind.target
    (pointer_declarator declarator: (field_identifier) @bind.target)
  ])
; a range-for variable: of its declared type, or (`auto`) an item of what it iterates
(for_range_loop
  type: [(type_identifier) (qualified_identifier) (template_type)] @bind.type
  declarator: [
    (identifier) @bind.target
    (reference_declarator (identifier) @bind.target)
    (pointer_declarator declarator: (identifier) @bind.target)
  ])
(for_range_loop
  type: (placeholder_type_specifier)
  declarator: [
    (identifier) @bind.target
    (reference_declarator (identifier) @bind.target)
    (pointer_declarator declarator: (identifier) @bind.target)
  ]
  right: (_) @bind.iter)
