; repolens extraction query for C# (tree-sitter-c-sharp 0.23).
; Capture names are the contract read by indexer/extract.py (see its docstring).
; Namespaces are no definitions: the file's first one is its @package, and the types in it are
; module-level definitions of the file (their ids are `path::Engine`, `path::Engine.Run`).

; ---- the namespace the file declares (block or file-scoped)
(namespace_declaration name: (_) @package)
(file_scoped_namespace_declaration name: (_) @package)

; ---- types: classes, structs, interfaces, records, enums (their kind is in the signature).
; Bases are the names in the base list (`Base<T>` is `Base`).
(class_declaration
  name: (identifier) @name
  (base_list)? @bases
  body: (declaration_list) @body) @definition.class
(struct_declaration
  name: (identifier) @name
  (base_list)? @bases
  body: (declaration_list) @body) @definition.class
(interface_declaration
  name: (identifier) @name
  (base_list)? @bases
  body: (declaration_list) @body) @definition.class
(record_declaration
  name: (identifier) @name
  (base_list)? @bases
  body: (declaration_list) @body) @definition.class
(record_declaration
  name: (identifier) @name
  (base_list)? @bases
  !body) @definition.class
(enum_declaration name: (identifier) @name body: (_) @body) @definition.class
(delegate_declaration name: (identifier) @name) @definition.class

; ---- functions: methods (without a body, in an interface or abstract: declarations),
; constructors, local functions. Destructors (`~Engine()`) stay part of their class: named like
; it, they would hide it.
(method_declaration
  returns: (_) @returns
  name: (identifier) @name
  body: (_) @body) @definition.function
(method_declaration
  returns: (_) @returns
  name: (identifier) @name
  !body) @definition.function
(constructor_declaration name: (identifier) @name body: (_) @body) @definition.function
; an extension method (`static string Shout(this string s)`): the type it extends
((method_declaration
  parameters: (parameter_list . (parameter (modifier) @_this type: (_) @receiver))) @receiver.of
  (#eq? @_this "this"))
; operators are named by their keyword (`Engine.operator`), so their code and parameters are theirs
(operator_declaration "operator" @name body: (_) @body) @definition.function
(conversion_operator_declaration "operator" @name body: (_) @body) @definition.function
(local_function_statement
  type: (_) @returns
  name: (identifier) @name
  body: (_) @body) @definition.function

; ---- XML doc comments (`///`) right before a type or member: the run of them; its first line
; with text (the summary, without its markup) is the doc. (One pattern over the whole run: a
; pattern for the line after `<summary>` keeps a match open at every comment, hundreds per file.)
((comment)+ @doc . [
  (class_declaration) (struct_declaration) (interface_declaration) (record_declaration)
  (enum_declaration) (delegate_declaration) (method_declaration) (constructor_declaration)
  (operator_declaration) (conversion_operator_declaration)
  ] @doc.owner
  (#match? @doc "^///"))

; ---- attributes, recorded as decorators: `[Obsolete] void Run()`
(_ (attribute_list (attribute name: [(identifier) (qualified_name)] @decorator.name))) @decorator.target

; ---- using directives
; `using A.B;`: every type of namespace A.B is visible (an external namespace's are asked last)
((using_directive . [(identifier) (qualified_name)] @import.module @import.wildcard .) @_using
  (#not-match? @_using "^(global\\s+)?using\\s+static"))
; `using static A.B.Util;`: the static members of class Util
((using_directive . (qualified_name) @import.module @import.wildcard .) @_using
  (#match? @_using "^(global\\s+)?using\\s+static"))
; `using X = A.B.C;`: module A.B, name C, alias X; `using X = C;`: the namespace or type C
(using_directive
  name: (identifier) @import.alias
  (qualified_name qualifier: (_) @import.module name: (_) @import.name))
(using_directive name: (identifier) @import.alias (identifier) @import.module)

; ---- calls: `Run()`, `engine.Run()`, `box.Get<T>()`, `engine?.Run()`, `Make<T>()`; `new Engine()`
; and `new Box<Engine>()` call the class
(invocation_expression
  function: [(identifier) (generic_name) (member_access_expression) (conditional_access_expression)] @call)
(object_creation_expression type: [(identifier) (generic_name) (qualified_name)] @call)

; ---- references: types named in declarations, `typeof`, `is`/`as`, type arguments, method groups
(variable_declaration type: [(identifier) (qualified_name)] @reference)
(parameter type: [(identifier) (qualified_name)] @reference)
(property_declaration type: [(identifier) (qualified_name)] @reference)
(method_declaration returns: [(identifier) (qualified_name)] @reference)
(type_argument_list [(identifier) (qualified_name)] @reference)
(typeof_expression type: [(identifier) (qualified_name)] @reference)
(as_expression right: [(identifier) (qualified_name)] @reference)
(is_expression right: [(identifier) (qualified_name)] @reference)
(declaration_pattern type: [(identifier) (qualified_name)] @reference)
(cast_expression type: [(identifier) (qualified_name)] @reference)
(argument [(identifier) (member_access_expression name: (identifier))] @reference)

; ---- typed names: fields, properties, events, locals, `out` and pattern variables, catch and
; foreach variables are instances of their declared type; `var x = value` takes the value's.
; Every declared name is also bound without a value, so it hides outer names even when its type
; says nothing (`int`, `var` of an unknown value).
(variable_declaration (variable_declarator name: (identifier) @bind.target))
(variable_declaration
  type: [(identifier) (qualified_name) (generic_name) (nullable_type)] @bind.type
  (variable_declarator name: (identifier) @bind.target))
(variable_declaration
  type: (implicit_type)
  (variable_declarator name: (identifier) @bind.target "=" . (_) @bind.value))
(property_declaration
  type: [(identifier) (qualified_name) (generic_name) (nullable_type)] @bind.type
  name: (identifier) @bind.target)
(declaration_expression name: (identifier) @bind.target)
(declaration_expression
  type: [(identifier) (qualified_name) (generic_name) (nullable_type)] @bind.type
  name: (identifier) @bind.target)
(declaration_pattern name: (identifier) @bind.target)
(declaration_pattern
  type: [(identifier) (qualified_name) (generic_name) (nullable_type)] @bind.type
  name: (identifier) @bind.target)
(catch_declaration name: (identifier) @bind.target)
(catch_declaration type: [(identifier) (qualified_name)] @bind.type name: (identifier) @bind.target)
(foreach_statement left: (identifier) @bind.target)
(foreach_statement
  type: [(identifier) (qualified_name) (generic_name) (nullable_type)] @bind.type
  left: (identifier) @bind.target)
; `foreach (var e in engines)`: an item of what it iterates (a `List<Engine>`: an Engine)
(foreach_statement type: (implicit_type) left: (identifier) @bind.target right: (_) @bind.iter)

; ---- parameters, with their type (an array's says nothing of its members)
(parameter
  type: [(identifier) (qualified_name) (generic_name) (nullable_type) (predefined_type)] @param.type
  name: (identifier) @param.name)
(parameter type: (array_type) name: (identifier) @param.name)
; `params Engine[] rest` is no parameter node: its type and name are fields of the list
(parameter_list name: (identifier) @param.name)
; a lambda's untyped parameters (`(a, b) => ...`, `e => ...`) only hide outer names
(parameter !type name: (identifier) @param.lambda)
(lambda_expression parameters: (implicit_parameter) @param.lambda)
