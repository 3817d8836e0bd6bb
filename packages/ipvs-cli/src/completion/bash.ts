/** The bash completion script: lookup functions written from the tree, and one fixed driver. */
import { commandPaths, type CompletionCommand } from './model';
import { caseStatement, functionPrefix, operandArms, shellQuote, valueArms } from './sh-script';

const setReply = (words: string): string => `REPLY=${shellQuote(words)}`;

export function bashScript(root: CompletionCommand): string {
  const program = root.name;
  const fn = functionPrefix(program);
  const commands = commandPaths(root);
  const subcommands = caseStatement(
    '$1',
    commands.filter(({ command }) => command.subcommands.length > 0).map(({ at, command }) => [[at], setReply(command.subcommands.map((c) => c.name).join(' '))]),
    'REPLY=',
  );
  const options = caseStatement(
    '$1',
    commands.filter(({ command }) => command.options.length > 0).map(({ at, command }) => [[at], setReply(command.options.flatMap((o) => o.names).join(' '))]),
    'REPLY=',
  );
  const values = caseStatement('$1/$2', valueArms(root, setReply), 'REPLY=');
  const operands = caseStatement('$1', operandArms(root, setReply), 'REPLY=');
  return `# bash completion for ${program}, written by \`${program} completion bash\` from ${program}'s own option tables.
# Load it now:  source <(${program} completion bash)
# or for good:  ${program} completion bash > /etc/bash_completion.d/${program}
#   (or ~/.local/share/bash-completion/completions/${program} where bash-completion is installed)

# The subcommands of the command at path $1 (the words after the program name that lead to it).
${fn}_subcommands() {
${subcommands}
}

# The options of the command at path $1.
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

# Completes the word $2 as a value completed as $1 says.
${fn}_complete_value() {
  local kind=\${1%% *} cur=$2 listed=
  local words=\${1#"$kind"}
  case $kind in
    words) mapfile -t COMPREPLY < <(compgen -W "$words" -- "$cur") ;;
    word-list)
      [[ $cur == *,* ]] && listed=\${cur%,*},
      mapfile -t COMPREPLY < <(compgen -P "$listed" -W "$words" -- "\${cur##*,}") ;;
    file)
      compopt -o filenames 2>/dev/null
      mapfile -t COMPREPLY < <(compgen -f -- "$cur") ;;
    interface) mapfile -t COMPREPLY < <(compgen -W "$(ls /sys/class/net 2>/dev/null)" -- "$cur") ;;
    netns) mapfile -t COMPREPLY < <(compgen -W "$(ls /run/netns 2>/dev/null)" -- "$cur") ;;
  esac
}

${fn}() {
  local cur=\${COMP_WORDS[COMP_CWORD]} option= path= words= i REPLY
  COMPREPLY=()
  # the command the words so far select: subcommand words right after the program name (the global
  # "--netns NAME" may stand before them; bash splits "--netns=NAME" into three words)
  for ((i = 1; i < COMP_CWORD; i++)); do
    if [[ \${COMP_WORDS[i]} == --netns ]]; then
      [[ \${COMP_WORDS[i+1]} == = ]] && i=$((i + 1))
      i=$((i + 1))
      continue
    fi
    ${fn}_subcommands "$path"
    [[ " $REPLY " == *" \${COMP_WORDS[i]} "* ]] || break
    path=\${path:+$path }\${COMP_WORDS[i]}
  done
  # an option's value: "-s <word>" or "--scheduler=<word>" (bash splits "=" into a word of its own)
  if [[ $cur == = ]]; then
    option=\${COMP_WORDS[COMP_CWORD-1]} cur=
  elif [[ \${COMP_WORDS[COMP_CWORD-1]} == = ]]; then
    option=\${COMP_WORDS[COMP_CWORD-2]}
  else
    option=\${COMP_WORDS[COMP_CWORD-1]}
  fi
  if [[ $option == -* ]]; then
    ${fn}_value "$path" "$option"
    if [[ -n $REPLY ]]; then
      ${fn}_complete_value "$REPLY" "$cur"
      return
    fi
  fi
  if [[ $cur != -* ]]; then
    # right after the path: its subcommands; further on: its operands
    if ((i == COMP_CWORD)); then
      ${fn}_subcommands "$path"
      words=$REPLY
    fi
    if [[ -z $words ]]; then
      ${fn}_operands "$path"
      if [[ -n $REPLY ]]; then
        ${fn}_complete_value "$REPLY" "$cur"
        return
      fi
    fi
  fi
  ${fn}_options "$path"
  mapfile -t COMPREPLY < <(compgen -W "$words $REPLY" -- "$cur")
}

complete -F ${fn} ${program}
`;
}
