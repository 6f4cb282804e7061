; repolens extraction query for Go.
; Capture names are the contract read by indexer/extract.py (see its docstring).
; Put `#set!` before any `#eq?` of a pattern: py-tree-sitter 0.26 crashes on the other order.

; ---- the package: `package cart` (the package itself is the directory, see go.py)
(package_clause (package_identifier) @package)

; ---- functions: the declared result type is what a call returns; of several results, the
; first (`(*Cart, error)`), whether named or not
(function_declaration
  name: (identifier) @name
  result: [
    (parameter_list . (parameter_declaration type: (_) @returns))
    (type_identifier) @returns
    (pointer_type) @returns
    (qualified_type) @returns
    (generic_type) @returns
    (slice_type) @returns
    (array_type) @returns
    (_)
  ]?
  body: (block)? @body) @definition.function

; methods: `func (c *Cart) Total()` is `Cart.Total`; the receiver's type is the owner
(method_declaration
  receiver: (parameter_list (parameter_declaration type: (_) @owner))
  name: (field_identifier) @name
  result: [
    (parameter_list . (parameter_declaration type: (_) @returns))
    (type_identifier) @returns
    (pointer_type) @returns
    (qualified_type) @returns
    (generic_type) @returns
    (slice_type) @returns
    (array_type) @returns
    (_)
  ]?
  body: (block)? @body) @definition.function

; ---- types: structs, interfaces and defined types (`type Celsius float64`) are classes. A
; lone `type X ...` is the definition (its signature starts with `type`); in a group
; `type ( X ...; Y ... )` each spec is.
; A struct's embedded fields are its bases (their methods are promoted); so are an interface's
; embedded interfaces.
((type_declaration
  (type_spec
    name: (type_identifier) @name
    type: (struct_type
      (field_declaration_list
        [(field_declaration !name type: [(type_identifier) (qualified_type) (generic_type)]) @bases
         (field_declaration !name type: (pointer_type) @bases)]*) @body)))
  @definition.class
  (#not-match? @definition.class "^type[ \t\r\n]*[(]"))
((type_declaration
  (type_spec
    name: (type_identifier) @name
    type: (interface_type "{" @body (type_elem . [(type_identifier) (qualified_type) (generic_type)] .)* @bases)))
  @definition.class
  (#not-match? @definition.class "^type[ \t\r\n]*[(]"))
((type_declaration
  (type_spec
    name: (type_identifier) @name
    type: [(type_identifier) (qualified_type) (generic_type) (pointer_type) (slice_type) (array_type)
           (map_type) (channel_type) (function_type) (parenthesized_type)]))
  @definition.class
  (#not-match? @definition.class "^type[ \t\r\n]*[(]"))
(type_declaration
  "("
  (type_spec
    name: (type_identifier) @name
    type: (struct_type
      (field_declaration_list
        [(field_declaration !name type: [(type_identifier) (qualified_type) (generic_type)]) @bases
         (field_declaration !name type: (pointer_type) @bases)]*) @body)) @definition.class)
(type_declaration
  "("
  (type_spec
    name: (type_identifier) @name
    type: (interface_type "{" @body (type_elem . [(type_identifier) (qualified_type) (generic_type)] .)* @bases))
  @definition.class)
(type_declaration
  "("
  (type_spec
    name: (type_identifier) @name
    type: [(type_identifier) (qualified_type) (generic_type) (pointer_type) (slice_type) (array_type)
           (map_type) (channel_type) (function_type) (parenthesized_type)]) @definition.class)

; an alias `type Command = cobra.Command` is a class whose base is the aliased type, so its
; members are that type's (the alias node's name-like children are itself and that type)
((type_declaration
  (type_alias name: (type_identifier) @name type: [(type_identifier) (qualified_type)]) @bases) @definition.class
  (#not-match? @definition.class "^type[ \t\r\n]*[(]"))
(type_declaration
  "("
  (type_alias name: (type_identifier) @name type: [(type_identifier) (qualified_type)]) @bases @definition.class)

; an interface's methods are declarations (no body)
(interface_type
  (method_elem
    name: (field_identifier) @name
    result: [
      (parameter_list . (parameter_declaration type: (_) @returns))
      (type_identifier) @returns
      (pointer_type) @returns
      (qualified_type) @returns
      (generic_type) @returns
      (slice_type) @returns
      (array_type) @returns
      (_)
    ]?) @definition.function)

; ---- fields: a named field of a named type is an instance of it; an embedded field is named
; by its type (`o.Base.Describe()`)
(field_declaration
  name: (field_identifier) @bind.target
  type: [(type_identifier) (pointer_type) (qualified_type) (generic_type) (slice_type) (array_type)
         (channel_type)] @bind.type)
(field_declaration !name type: (type_identifier) @bind.target @bind.type)
(field_declaration !name type: (pointer_type (type_identifier) @bind.target) @bind.type)
(field_declaration !name type: (qualified_type name: (type_identifier) @bind.target) @bind.type)
(field_declaration !name type: (pointer_type (qualified_type name: (type_identifier) @bind.target)) @bind.type)

; ---- doc comments: the `//` lines right before a declaration (its first line is kept); the
; package's doc is the comment starting `// Package` right before the package clause
((comment)+ @doc . [(function_declaration) (method_declaration)] @doc.owner)
((comment)+ @doc . (type_declaration) @doc.owner)
(type_declaration "(" (comment)+ @doc . [(type_spec) (type_alias)] @doc.owner)
(source_file (comment) @doc . (comment)* . (package_clause) (#match? @doc "^// ?Package ")) @doc.owner

; ---- imports: `"example.com/shop/cart"` binds `cart`; `u "..."` binds `u`; `. "..."` makes
; the package's names visible; `_ "..."` binds nothing
(import_spec
  !name
  path: (interpreted_string_literal (interpreted_string_literal_content) @import.module))
(import_spec
  name: [(package_identifier) (blank_identifier)] @import.alias
  path: (interpreted_string_literal (interpreted_string_literal_content) @import.module))
(import_spec
  name: (dot) @import.wildcard
  path: (interpreted_string_literal (interpreted_string_literal_content) @import.module))

; ---- calls (a conversion `Celsius(x)` is a call of the type). A generic function given a
; type argument parses as a conversion to a generic type (`Map[int](xs)`) or, in a return or an
; argument, as an index (`Map[string](xs, f)`; `handlers[i](x)` then names the slice)
(call_expression function: [(identifier) (selector_expression)] @call)
(call_expression
  function: (index_expression operand: [(identifier) (selector_expression)] @call index: [(identifier) (selector_expression)]))
(type_conversion_expression type: (generic_type type: [(type_identifier) (qualified_type)] @call))

; ---- references: types where they are used, and names used as values
(composite_literal type: [(type_identifier) (qualified_type)] @reference)
(composite_literal type: (generic_type type: [(type_identifier) (qualified_type)] @reference))
(parameter_declaration type: [(type_identifier) (qualified_type)] @reference)
(pointer_type [(type_identifier) (qualified_type)] @reference)
(slice_type element: [(type_identifier) (qualified_type)] @reference)
(map_type value: [(type_identifier) (qualified_type)] @reference)
(field_declaration type: [(type_identifier) (qualified_type)] @reference)
(var_spec type: [(type_identifier) (qualified_type)] @reference)
(function_declaration result: [(type_identifier) (qualified_type)] @reference)
(method_declaration result: [(type_identifier) (qualified_type)] @reference)
(type_assertion_expression type: [(type_identifier) (qualified_type)] @reference)
(type_case type: [(type_identifier) (qualified_type)] @reference)
(argument_list [(identifier) (selector_expression)] @reference)
(literal_element [(identifier) (selector_expression)] @reference)
(return_statement (expression_list [(identifier) (selector_expression)] @reference))
(assignment_statement right: (expression_list [(identifier) (selector_expression)] @reference))
(short_var_declaration right: (expression_list [(identifier) (selector_expression)] @reference))

; ---- bindings. `x := NewCart()` and `var x = NewCart()` are what the call returns; `x :=
; &Cart{}`, `x := Cart{...}`, `x := new(Cart)`, `x := y.(*Cart)` and `var x Cart` are instances
; of the type. A plain assignment keeps the variable's declared type (`var s Shape; s =
; &Square{}` is still a Shape), so it binds nothing.
(short_var_declaration
  left: (expression_list . (identifier) @bind.target)
  right: (expression_list . [(call_expression) (identifier) (selector_expression)] @bind.value))
(short_var_declaration
  left: (expression_list . (identifier) @bind.target)
  right: (expression_list . [
    (composite_literal type: (_) @bind.type)
    (unary_expression operator: "&" operand: (composite_literal type: (_) @bind.type))
    (type_assertion_expression type: (_) @bind.type)
  ]))
((short_var_declaration
  left: (expression_list . (identifier) @bind.target)
  right: (expression_list . (call_expression
    function: (identifier) @_new
    arguments: (argument_list . (_) @bind.type .))))
  (#eq? @_new "new"))
(short_var_declaration left: (expression_list (identifier) @bind.target))

(var_spec
  . name: (identifier) @bind.target
  type: [(type_identifier) (pointer_type) (qualified_type) (generic_type) (slice_type) (array_type)
         (channel_type)] @bind.type)
(var_spec
  . name: (identifier) @bind.target
  !type
  value: (expression_list . [(call_expression) (identifier) (selector_expression)] @bind.value))
(var_spec
  . name: (identifier) @bind.target
  !type
  value: (expression_list . [
    (composite_literal type: (_) @bind.type)
    (unary_expression operator: "&" operand: (composite_literal type: (_) @bind.type))
    (type_assertion_expression type: (_) @bind.type)
  ]))
(var_spec name: (identifier) @bind.target)

(range_clause left: (expression_list (identifier) @bind.target))
(range_clause
  left: (expression_list . (_) . (identifier) @bind.target)
  right: [(identifier) (selector_expression) (call_expression)] @bind.value)
(type_switch_statement alias: (expression_list (identifier) @bind.target))

; ---- parameters (the receiver first), typed when the type names one: `c *Cart`, `s
; *Stack[T]`, `items []*Item` (a slice is taken for its items: a range over it gives one)
(method_declaration
  receiver: (parameter_list
    (parameter_declaration
      name: (identifier) @param.name
      type: (_) @param.type)))
; the parameters of functions, methods and function literals (those of interface methods and
; function types name nothing in scope); a variadic `opts ...Opt` is typed by its element
(_
  parameters: (parameter_list
    [(parameter_declaration
      name: (identifier) @param.name
      type: [
        (type_identifier) @param.type
        (pointer_type) @param.type
        (qualified_type) @param.type
        (generic_type) @param.type
        (slice_type) @param.type
        (array_type) @param.type
        (channel_type) @param.type
        (_)
      ])
     (variadic_parameter_declaration
      name: (identifier) @param.name
      type: [
        (type_identifier) @param.type
        (pointer_type) @param.type
        (qualified_type) @param.type
        (generic_type) @param.type
        (slice_type) @param.type
        (array_type) @param.type
        (channel_type) @param.type
        (_)
      ])])
  body: (block))
; named results are locals of the function
(function_declaration
  result: (parameter_list (parameter_declaration name: (identifier) @bind.target type: (_) @bind.type)))
(method_declaration
  result: (parameter_list (parameter_declaration name: (identifier) @bind.target type: (_) @bind.type)))
