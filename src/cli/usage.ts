// Help texts only: `ferry --help` and `ferry --version` load this module and nothing of the engine.

export const COMMANDS = ['plan', 'validate'] as const;
export type Command = (typeof COMMANDS)[number];

export const EXIT = {
  ok: 0,
  findings: 1,
  usage: 2,
  tool: 3,
} as const;

const EXIT_TEXT = `Exit status:
  0  no error findings
  1  at least one error finding
  2  usage, config or git error (unknown ref, invalid ferry.yml, not a repository, -o not writable)
  3  a renderer is not installed (kustomize/kubectl or helm): the apps it would render are named on stderr`;

const COMMON = `  --repo DIR        the repository (default: the one the current folder is in)
  --env NAME        only this environment
  --config FILE     a config file on disk instead of ferry.yml at the base commit
  --format FORMAT   text (default), markdown, json, sarif or junit
  -o, --output FILE write the report to FILE instead of stdout
  --cache-dir DIR   git mirrors and render cache (default: $FERRY_CACHE_DIR or ~/.cache/ferry)
  -q, --quiet       no progress or summary on stderr
  -h, --help        this help`;

export const USAGE = `Usage: ferry <command> [options]

Commands:
  plan       what a change does to each environment: render both commits, diff, validate
  validate   render and validate every app at one commit

Run \`ferry <command> --help\` for a command's options. \`ferry --version\` prints the version.

${EXIT_TEXT}
`;

const HELP: Record<Command, string> = {
  plan: `Usage: ferry plan --base REF [--head REF] [options]

Renders the apps whose output can change between the merge base of REF and the head, diffs
them resource by resource and validates the head side, as the App does for a pull request.

  --base REF        the branch the change goes into (e.g. origin/main)
  --head REF        the change (default: HEAD)
  --no-merge-base   diff the two commits as given, not from their merge base
${COMMON}

${EXIT_TEXT}
`,
  validate: `Usage: ferry validate [--ref REF] [options]

Renders and validates every app at one commit, and ends with a summary line.

  --ref REF         the commit (default: HEAD)
${COMMON}

${EXIT_TEXT}
`,
};

export function commandHelp(command: Command): string {
  return HELP[command];
}
