/** The fish completion script: one `complete` line per option, subcommand and operand of the tree. */
import { commandPaths, type CompletionCommand, type CompletionOption, type ValueCompletion } from './model';

const quote = (text: string): string => `'${text.replaceAll('\\', '\\\\').replaceAll("'", "\\'")}'`;

/** What `complete` offers for a value: candidates (`-a`), or file names (`-F`); undefined for free text. */
function candidates(value: ValueCompletion): string | undefined {
  switch (value.kind) {
    case 'words':
      return `-a ${quote(value.words.join(' '))}`;
    case 'word-list':
      return `-a ${quote(`(__fish_append , ${value.words.join(' ')})`)}`;
    case 'interface':
      return `-a ${quote('(__fish_print_interfaces)')}`;
    case 'netns':
      return `-a ${quote('(ls /run/netns 2>/dev/null)')}`;
    case 'file':
      return '-F';
    case 'text':
      return undefined;
  }
}

function optionArguments(option: CompletionOption): string {
  const spellings = option.names.map((name) => (name.startsWith('--') ? `-l ${name.slice(2)}` : `-s ${name.slice(1)}`));
  // -r: the option takes a value; -f: no file names unless the value is one (-F)
  const value = option.value ? [option.value.kind === 'file' ? '-r' : '-r -f', candidates(option.value)] : [];
  const description = option.description ? ['-d', quote(option.description)] : [];
  return [...spellings, ...value.filter((a) => a !== undefined), ...description].join(' ');
}

export function fishScript(root: CompletionCommand): string {
  const program = root.name;
  const fn = `__${program.replace(/[^A-Za-z0-9_]/g, '_')}`;
  const commands = commandPaths(root);
  const subcommandCases = commands
    .filter(({ command }) => command.subcommands.length > 0)
    .map(({ at, command }) => `        case ${quote(at)}\n            echo ${command.subcommands.map((c) => c.name).join(' ')}`);
  const lines: string[] = [];
  for (const { at, command } of commands) {
    const here = `-n "${fn}_at ${quote(at)}"`;
    const next = `-n "${fn}_next_word_of ${quote(at)}"`;
    for (const sub of command.subcommands) lines.push(`complete -c ${program} ${next} -a ${sub.name}${sub.description ? ` -d ${quote(sub.description)}` : ''}`);
    for (const option of command.options) lines.push(`complete -c ${program} ${here} ${optionArguments(option)}`);
    const operands = command.operands && candidates(command.operands);
    if (operands) lines.push(`complete -c ${program} ${here} ${operands}`);
  }
  return `# fish completion for ${program}, written by \`${program} completion fish\` from ${program}'s own option tables.
# Load it now:  ${program} completion fish | source
# or for good:  ${program} completion fish > ~/.config/fish/completions/${program}.fish

# The subcommands of the command at path $argv[1] (the words after the program name that lead to it).
function ${fn}_subcommands
    switch $argv[1]
${subcommandCases.join('\n')}
    end
end

# The words typed so far, without the global "--netns NAME" / "--netns=NAME" (which may stand anywhere).
function ${fn}_words
    set -l skip 0
    for word in (commandline -opc)
        if test $skip -eq 1
            set skip 0
            continue
        end
        switch $word
            case --netns
                set skip 1
                continue
            case '--netns=*'
                continue
        end
        echo $word
    end
end

# The path of the command the words typed so far select: subcommand words right after the program name.
function ${fn}_path
    set -l path
    for word in (${fn}_words)[2..-1]
        contains -- $word (string split ' ' -- (${fn}_subcommands "$path")); or break
        set -a path $word
    end
    echo "$path"
end

# True when the words typed so far select the command at path $argv[1].
function ${fn}_at
    set -l path (${fn}_path)
    test "$path" = "$argv[1]"
end

# True when the word being typed comes right after the path $argv[1] (where its subcommands go).
function ${fn}_next_word_of
    ${fn}_at $argv[1]; or return
    test (count (${fn}_words)) -eq (math 1 + (count (string split -n ' ' -- $argv[1])))
end

complete -c ${program} -f
${lines.join('\n')}
`;
}
