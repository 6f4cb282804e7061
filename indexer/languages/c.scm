; repolens extraction query for C, and the part C++ shares with it (joined before cpp.scm:
; tree-sitter-cpp extends tree-sitter-c, so these patterns hold in both grammars).
; Capture names are the contract read by indexer/extract.py (see its docstring).

; ---- functions: a definition has a body; a prototype (a header's, or a forward declaration at
; the top of a file) is a declaration, followed to its definition by the resolver.
; The return type: `struct engine *engine_new(void)` returns an engine.
(function_definition
  type: (_)? @returns
  declarator: [
    (function_declarator declarator: (identifier) @name)
    (pointer_declarator declarator: (function_declarator declarator: (identifier) @name))
    (pointer_declarator declarator: (pointer_declarator declarator: (function_declarator declarator: (identifier) @name)))
  ]
  body: (_) @body) @definition.function

; `static`: a function of its file only (not linked from other files)
((function_definition (storage_class_specifier) @_storage) @decorator.target
  (#set! decorator "static")
  (#eq? @_storage "static"))

; prototypes at file level only (also inside `#if` blocks and `extern "C" {}`): in a function
; body a declarator with parameters is a local (C++ `Engine e(part);`, below)
(translation_unit (declaration
  type: (_) @returns
  declarator: [
    (function_declarator declarator: (identifier) @name)
    (pointer_declarator declarator: (function_declarator declarator: (identifier) @name))
    (pointer_declarator declarator: (pointer_declarator declarator: (function_declarator declarator: (identifier) @name)))
  ]) @definition.function)
(preproc_ifdef (declaration
  type: (_) @returns
  declarator: [
    (function_declarator declarator: (identifier) @name)
    (pointer_declarator declarator: (function_declarator declarator: (identifier) @name))
    (pointer_declarator declarator: (pointer_declarator declarator: (function_declarator declarator: (identifier) @name)))
  ]) @definition.function)
(preproc_if (declaration
  type: (_) @returns
  declarator: [
    (function_declarator declarator: (identifier) @name)
    (pointer_declarator declarator: (function_declarator declarator: (identifier) @name))
    (pointer_declarator declarator: (pointer_declarator declarator: (function_declarator declarator: (identifier) @name)))
  ]) @definition.function)
(preproc_else (declaration
  type: (_) @returns
  declarator: [
    (function_declarator declarator: (identifier) @name)
    (pointer_declarator declarator: (function_declarator declarator: (identifier) @name))
    (pointer_declarator declarator: (pointer_declarator declarator: (function_declarator declarator: (identifier) @name)))
  ]) @definition.function)
(preproc_elif (declaration
  type: (_) @returns
  declarator: [
    (function_declarator declarator: (identifier) @name)
    (pointer_declarator declarator: (function_declarator declarator: (identifier) @name))
    (pointer_declarator declarator: (pointer_declarator declarator: (function_declarator declarator: (identifier) @name)))
  ]) @definition.function)
(declaration_list (declaration
  type: (_) @returns
  declarator: [
    (function_declarator declarator: (identifier) @name)
    (pointer_declarator declarator: (function_declarator declarator: (identifier) @name))
    (pointer_declarator declarator: (pointer_declarator declarator: (function_declarator declarator: (identifier) @name)))
  ]) @definition.function)

; function-like macros are called like functions (what their text calls is not read)
(preproc_function_def name: (identifier) @name value: (preproc_arg) @body) @definition.function
(preproc_function_def name: (identifier) @name parameters: (_) @body !value) @definition.function

; ---- types: structs, unions and enums with a body are classes (their kind is in the signature)
; (in C++, `struct Engine : Base {}`: the base clause sits between name and body)
(struct_specifier name: (type_identifier) @name (_)* @bases body: (_) @body) @definition.class
(union_specifier name: (type_identifier) @name body: (_) @body) @definition.class
(enum_specifier name: (type_identifier) @name body: (_) @body) @definition.class
; `typedef struct { ... } engine_t;`: the anonymous struct is named by its typedef
(type_definition
  type: [(struct_specifier !name body: (_) @body) (union_specifier !name body: (_) @body)] @definition.class
  declarator: (type_identifier) @name)
; `typedef struct engine engine_t;` (with or without the body): engine_t is another name for it
((type_definition
  type: [(struct_specifier name: (type_identifier) @bind.value) (union_specifier name: (type_identifier) @bind.value)]
  declarator: (type_identifier) @bind.target)
  (#not-eq? @bind.target @bind.value))
((type_definition type: (type_identifier) @bind.value declarator: (type_identifier) @bind.target)
  (#not-eq? @bind.target @bind.value))

; ---- docs: a `/** ... */` or `///` comment right before a definition
((comment) @doc . [(function_definition) (declaration) (struct_specifier) (union_specifier) (enum_specifier)
                    (preproc_function_def)] @doc.owner
  (#match? @doc "^(/[*][*]|///)"))
((comment) @doc . (type_definition type: (_) @doc.owner)
  (#match? @doc "^(/[*][*]|///)"))

; ---- includes: every module-level name of the header becomes visible. `<x.h>` keeps its
; brackets, so the module system knows to look only under the include roots
(preproc_include path: (string_literal (string_content) @import.module)) @import.wildcard
(preproc_include path: (system_lib_string) @import.module) @import.wildcard

; ---- calls
(call_expression function: (_) @call)

; ---- references: functions passed as values (callbacks, tables of handlers)
(argument_list (identifier) @reference)
(init_declarator value: (identifier) @reference)
(assignment_expression right: (identifier) @reference)
(initializer_list (identifier) @reference)
(initializer_pair value: (identifier) @reference)
(pointer_expression argument: (identifier) @reference)

; ---- typed names: parameters, locals, globals and fields (`struct engine *e`: an engine)
(parameter_declaration
  type: [(type_identifier) (struct_specifier) (union_specifier)] @param.type
  declarator: [
    (identifier) @param.name
    (pointer_declarator declarator: (identifier) @param.name)
    (pointer_declarator declarator: (pointer_declarator declarator: (identifier) @param.name))
  ])
(parameter_declaration
  type: [(primitive_type) (sized_type_specifier) (enum_specifier)]
  declarator: [
    (identifier) @param.name
    (pointer_declarator declarator: (identifier) @param.name)
    (array_declarator declarator: (identifier) @param.name)
  ])
(declaration
  type: [(type_identifier) (struct_specifier) (union_specifier)] @bind.type
  declarator: [
    (identifier) @bind.target
    (pointer_declarator declarator: (identifier) @bind.target)
    (init_declarator declarator: (identifier) @bind.target)
    (init_declarator declarator: (pointer_declarator declarator: (identifier) @bind.target))
  ])
(field_declaration
  type: [(type_identifier) (struct_specifier) (union_specifier)] @bind.type
  declarator: [
    (field_identifier) @bind.target
    (pointer_declarator declarator: (field_identifier) @bind.target)
  ])
; locals of other types only shadow outer names
(declaration
  type: [(primitive_type) (sized_type_specifier)]
  declarator: [
    (identifier) @bind.target
    (pointer_declarator declarator: (identifier) @bind.target)
    (init_declarator declarator: (identifier) @bind.target)
    (init_declarator declarator: (pointer_declarator declarator: (identifier) @bind.target))
    (array_declarator declarator: (identifier) @bind.target)
  ])
