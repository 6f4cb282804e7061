; repolens extraction query for Python.
; Capture names are the contract read by indexer/extract.py (see its docstring).

; ---- definitions
(class_definition
  name: (identifier) @name
  superclasses: (argument_list)? @bases
  body: (_) @body) @definition.class

(function_definition
  name: (identifier) @name
  return_type: (type)? @returns
  body: (_) @body) @definition.function

; what a function returns, for calls of functions without a return annotation
(return_statement (_) @return.value)

; ---- docstrings: the first statement of a body, when it is a string; comments before it
; (a shebang, a coding cookie, a licence header) are not statements, so they may come first
(module . (comment)* . (expression_statement . (string) @doc)) @doc.owner
(class_definition body: (block . (comment)* . (expression_statement . (string) @doc))) @doc.owner
(function_definition body: (block . (comment)* . (expression_statement . (string) @doc))) @doc.owner

; ---- decorators (also recorded as calls below)
(decorated_definition
  (decorator [(identifier) (attribute)] @decorator.name)
  definition: (_) @decorator.target)
(decorated_definition
  (decorator (call function: [(identifier) (attribute)] @decorator.name))
  definition: (_) @decorator.target)

; ---- imports
(import_statement name: (dotted_name) @import.module)
(import_statement
  name: (aliased_import name: (dotted_name) @import.module alias: (identifier) @import.alias))
(import_from_statement
  module_name: (_) @import.module
  name: (dotted_name) @import.name)
(import_from_statement
  module_name: (_) @import.module
  name: (aliased_import name: (dotted_name) @import.name alias: (identifier) @import.alias))
(import_from_statement
  module_name: (_) @import.module
  (wildcard_import) @import.wildcard)

; ---- calls
(call function: (_) @call)
(decorator [(identifier) (attribute)] @call)

; ---- references: names used as values where classes and functions travel
(type [(identifier) (attribute)] @reference)
(type (generic_type (identifier) @reference))
(type_parameter (type [(identifier) (attribute)] @reference))
(argument_list [(identifier) (attribute)] @reference)
(keyword_argument value: [(identifier) (attribute)] @reference)
(assignment right: [(identifier) (attribute)] @reference)
(return_statement [(identifier) (attribute)] @reference)
(except_clause [(identifier) (attribute)] @reference)
(except_clause (tuple [(identifier) (attribute)] @reference))
(raise_statement [(identifier) (attribute)] @reference)
(list [(identifier) (attribute)] @reference)
(tuple [(identifier) (attribute)] @reference)
(set [(identifier) (attribute)] @reference)
(pair value: [(identifier) (attribute)] @reference)
(default_parameter value: [(identifier) (attribute)] @reference)

; ---- bindings: names made local by assignment, loops, with, except
(assignment left: (identifier) @bind.target right: (_) @bind.value)
(assignment left: (identifier) @bind.target !right)
(assignment left: (attribute) @bind.target right: (_) @bind.value)
(assignment left: (identifier) @bind.target type: (type) @bind.type)
(assignment left: (attribute) @bind.target type: (type) @bind.type)
(augmented_assignment left: (identifier) @bind.target)
(for_statement left: (identifier) @bind.target right: (_) @bind.iter)
(pattern_list (identifier) @bind.target)
(tuple_pattern (identifier) @bind.target)
(list_pattern (identifier) @bind.target)
(for_in_clause left: (identifier) @bind.target right: (_) @bind.iter)
(with_item value: (as_pattern alias: (as_pattern_target (identifier) @bind.target)))
(except_clause (as_pattern alias: (as_pattern_target (identifier) @bind.target)))
(named_expression name: (identifier) @bind.target value: (_) @bind.value)
(global_statement (identifier) @bind.global)
(nonlocal_statement (identifier) @bind.global)

; ---- parameters
(parameters (identifier) @param.name)
(parameters (typed_parameter (identifier) @param.name type: (type) @param.type))
(parameters (default_parameter name: (identifier) @param.name))
(parameters (typed_default_parameter name: (identifier) @param.name type: (type) @param.type))
(parameters (list_splat_pattern (identifier) @param.name))
(parameters (dictionary_splat_pattern (identifier) @param.name))
(parameters (typed_parameter (list_splat_pattern (identifier) @param.name)))
(parameters (typed_parameter (dictionary_splat_pattern (identifier) @param.name)))
(lambda_parameters (identifier) @param.lambda)
