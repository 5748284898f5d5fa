// Public API of the Kconfig model: load a tree for an arch, evaluate a .config,
// explain why a pinned symbol did not come out as asked.
export type {
  Diagnostic,
  Expr,
  KSymbol,
  Location,
  DepSite,
  MenuNode,
  Prop,
  SymbolType,
  Tristate,
} from './ast.js';
export { formatDiagnostic } from './ast.js';
export { KconfigModel, type ChoiceDialect } from './model.js';
export { parseKconfig, type SourceReader, type ParseOptions, type ParseResult } from './parser.js';
export {
  loadKconfigModel,
  loadKconfigModelSync,
  findDefinitionsAllArches,
  kconfigEnv,
  treeReader,
  type DefinitionSite,
  type LoadOptions,
} from './load.js';
export { exprToString } from './expr.js';
export {
  Evaluator,
  triText,
  type ConfigValues,
  type SymbolState,
  type ValueSource,
} from './eval.js';
export {
  explainPin,
  explainPinInTree,
  explainUnmetSelect,
  type ExplanationNode,
  type PinQuery,
  type PinStatus,
  type Reason,
} from './explain.js';
export { renderExplanation } from './render.js';
