/**
 * The layers of lib/ and the one direction imports run (docs/ARCHITECTURE.md):
 *   functions/ -> lib/edge -> domain folders -> lib/store, lib/mail -> lib/model -> lib/util
 * `npm run lint` fails on an import that goes up, skips into another function, or closes a cycle of files or folders.
 */
const DOMAIN = '(capture|identity|scoring|ranking|experience|onboarding|pipeline|privacy|configuration)';

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'util-imports-only-util',
      comment: 'lib/util holds small utilities that know nothing of the product',
      severity: 'error',
      from: { path: '^lib/util/' },
      to: { path: '^lib/(?!util/)' },
    },
    {
      name: 'model-imports-only-model-and-util',
      comment: 'lib/model holds the shared types and schemas every layer may use',
      severity: 'error',
      from: { path: '^lib/model/' },
      to: { path: '^lib/(?!model/|util/)' },
    },
    {
      name: 'store-imports-only-store-model-util',
      comment: 'repositories write what the domain decided; they do not call into it',
      severity: 'error',
      from: { path: '^lib/store/' },
      to: { path: '^lib/(?!store/|model/|util/)' },
    },
    {
      name: 'mail-imports-only-mail-model-util',
      comment: 'mail adapters implement a port; they know no domain',
      severity: 'error',
      from: { path: '^lib/mail/' },
      to: { path: '^lib/(?!mail/|model/|util/)' },
    },
    {
      name: 'domain-does-not-import-edge',
      comment:
        'domain code is reached from HTTP, streams and schedules alike: it throws domain errors, not HTTP ones',
      severity: 'error',
      from: { path: `^lib/${DOMAIN}/` },
      to: { path: '^lib/edge/' },
    },
    {
      name: 'openapi-reaches-no-store-or-endpoint',
      comment:
        'the openApi Lambda bundles all that openapi.ts reaches: route schemas, never repositories, mail or handlers',
      severity: 'error',
      from: { path: '^(lib/edge/openapi/|functions/open-api\\.ts$)' },
      to: { path: '^(lib/store/|lib/mail/|lib/edge/.+-endpoint\\.ts$)', reachable: true },
    },
    {
      name: 'route-schemas-import-only-schemas-model-util',
      comment:
        'route schemas are shared by endpoints and the OpenAPI document, so they stay free of behaviour',
      severity: 'error',
      from: { path: '^lib/edge/.+-schemas\\.ts$' },
      to: { path: '^lib/(?!model/|util/|edge/.+-schemas\\.ts$)' },
    },
    {
      name: 'lib-does-not-import-outside-lib',
      severity: 'error',
      from: { path: '^lib/' },
      to: { path: '^(functions|scripts|test|bench|console)/' },
    },
    {
      name: 'functions-do-not-import-each-other',
      comment: 'each function is its own bundle',
      severity: 'error',
      from: { path: '^functions/' },
      to: { path: '^functions/' },
    },
    {
      name: 'no-folder-cycles',
      comment: 'folders of lib/ form layers: two folders that import each other are one tangled folder',
      severity: 'error',
      scope: 'folder',
      from: { path: '^lib/' },
      to: { circular: true },
    },
    {
      name: 'no-file-cycles',
      severity: 'error',
      from: { path: '^(lib|functions)/' },
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(node_modules|\\.serverless|\\.esbuild|console/dist)' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
  },
};
