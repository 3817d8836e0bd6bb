/** The zsh completion script: the lookups of the bash script (with descriptions) and a zsh driver. */
import { commandPaths, type CompletionCommand } from './model';
import { caseStatement, functionPrefix, operandArms, shellQuote, valueArms } from './sh-script';

/** `reply=(name:description ...)`, as _describe takes it. */
function describedReply(entries: ReadonlyArray<readonly [name: string, description: string]>): string {
  return `reply=(${entries.map(([name, description]) => shellQuote(description ? `${name}:${description}` : name)).join(' ')})`;
}

const setReply = (spelling: string): string => `REPLY=${shellQuote(spelling)}`;

export function zshScript(root: CompletionCommand): string {
  const program = root.name;
  const fn = functionPrefix(program);
  const commands = commandPaths(root);
  const subcommands = caseStatement(
    '$1',
    commands.filter(({ command }) => command.subcommands.length > 0).map(({ at, command }) => [[at], describedReply(command.subcommands.map((c) => [c.name, c.description]))]),
    'reply=()',
  );
  const options = caseStatement(
    '$1',
    commands.filter(({ command }) => command.options.length > 0).map(({ at, command }) => [[at], describedReply(command.options.flatMap((o) => o.names.map((n) => [n, o.description] as const)))]),
    'reply=()',
  );
  const values = caseStatement('$1/$2', valueArms(root, setReply), 'REPLY=');
  const operands = caseStatement('$1', operandArms(root, setReply), 'REPLY=');
  return `#compdef ${program}
# zsh completion for ${program}, written by \`${program} completion zsh\` from ${program}'s own option tables.
# Load it now:  source <(${program} completion zsh)       (compinit must have run)
# or for good:  ${program} completion zsh > "\${fpath[1]}/${fn}"   (then start a new shell)

# The subcommands of the command at path $1 (the words after the program name that lead to it), as name:description.
${fn}_subcommands() {
${subcommands}
}

# The options of the command at path $1, as name:description.
${fn}_options() {
${options}
}

# How the value of option $2 of the command at path $1 is completed: "words W...", "word-list W..."
# (comma-separated), file, interface, netns or text; nothing for an option without a value.
${fn}_value() {
${values}
}

# How the other words of the command at path $1 are completed (as for ${fn}_value); nothing if it takes none.
${fn}_operands() {
${operands}
}

# Offers what a value completed as $1 says can be.
${fn}_complete_value() {
  local kind=\${1%% *}
  local -a values=(\${=\${1#$kind}})
  case $kind in
    words) compadd -a values ;;
    word-list) _sequence compadd -a values ;;
    file) _files ;;
    interface) _net_interfaces ;;
    netns) compadd -- \${(f)"$(ls /run/netns 2>/dev/null)"} ;;
  esac
}

${fn}() {
  local cur=\${words[CURRENT]} option= path= i REPLY
  local -a reply names subcommands
  # the command the words so far select: subcommand words right after the program name (the global
  # "--netns NAME" or "--netns=NAME" may stand before them)
  for ((i = 2; i < CURRENT; i++)); do
    [[ \${words[i]} == --netns=* ]] && continue
    if [[ \${words[i]} == --netns ]]; then
      i=$((i + 1))
      continue
    fi
    ${fn}_subcommands "$path"
    names=(\${reply%%:*})
    (( \${names[(Ie)\${words[i]}]} )) || break
    path=\${path:+$path }\${words[i]}
  done
  # an option's value: "-s <word>" or "--scheduler=<word>"
  if [[ $cur == --*=* ]]; then
    option=\${cur%%=*}
    compset -P '*='
  else
    option=\${words[CURRENT-1]}
  fi
  if [[ $option == -* ]]; then
    ${fn}_value "$path" "$option"
    if [[ -n $REPLY ]]; then
      ${fn}_complete_value "$REPLY"
      return
    fi
  fi
  if [[ $cur != -* ]]; then
    # right after the path: its subcommands; further on: its operands
    if (( i == CURRENT )); then
      ${fn}_subcommands "$path"
      subcommands=($reply)
    fi
    if (( ! $#subcommands )); then
      ${fn}_operands "$path"
      if [[ -n $REPLY ]]; then
        ${fn}_complete_value "$REPLY"
        return
      fi
    fi
  fi
  (( $#subcommands )) && _describe -t commands command subcommands
  ${fn}_options "$path"
  _describe -t options option reply
}

if [[ $funcstack[1] == ${fn} ]]; then
  ${fn} "$@"
else
  compdef ${fn} ${program}
fi
`;
}
