"""A static check of the Bicep under infra/bicep, for machines without the Bicep compiler.

Not a Bicep parser: it masks comments and string contents (keeping every character's position),
then checks what a slip of the pen breaks and `az bicep build` would otherwise catch only in CI:
brackets that balance and nest, module paths that exist, module params that the module declares
(and every param without a default passed), `module.outputs.X` that the module outputs, and a
parameters file that names the template's params. It expects the formatter's layout: one
declaration, object key or param per line.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

PAIRS = {"{": "}", "[": "]", "(": ")", "${": "}"}
PARAM = re.compile(r"^[ \t]*param[ \t]+(\w+)[ \t]+([^\n]*)$", re.MULTILINE)
OUTPUT = re.compile(r"^[ \t]*output[ \t]+(\w+)[ \t]", re.MULTILINE)
MODULE = re.compile(r"^[ \t]*module[ \t]+(\w+)[ \t]+'", re.MULTILINE)
OUTPUT_REF = re.compile(r"\b(\w+)\.outputs\.(\w+)")
KEY = re.compile(r"[ \t]*('[^'\n]*'|\w+)[ \t]*:")


@dataclass(frozen=True)
class Source:
    """A Bicep file: its text and the same text with comments blanked and string contents masked."""

    path: Path
    text: str
    masked: str
    problems: tuple[str, ...]

    def line(self, index: int) -> int:
        return line_of(self.text, index)


def line_of(text: str, index: int) -> int:
    return text.count("\n", 0, index) + 1


def scan(path: Path) -> Source:
    """Mask comments and strings and check that brackets balance and nest."""
    text = path.read_text(encoding="utf-8")
    out = list(text)
    stack: list[tuple[str, int]] = []  # (opener, index)
    problems: list[str] = []
    i, n, string_start = 0, len(text), -1

    def blank(start: int, end: int, fill: str = " ") -> None:
        for k in range(start, end):
            if out[k] != "\n":
                out[k] = fill

    def where(index: int) -> str:
        return f"{path}:{line_of(text, index)}"

    while i < n:
        if string_start >= 0:  # inside '...': only \x escapes, ${ and the closing quote matter
            if text[i] == "\\":
                blank(i, min(i + 2, n), "_")
                i += 2
            elif text[i] == "'":
                string_start, i = -1, i + 1
            elif text.startswith("${", i):
                stack.append(("${", i))
                string_start, i = -1, i + 2
            elif text[i] == "\n":
                problems.append(f"{where(string_start)}: unterminated string")
                string_start, i = -1, i + 1
            else:
                blank(i, i + 1, "_")
                i += 1
            continue
        if text.startswith("'''", i):
            end = text.find("'''", i + 3)
            if end < 0:
                problems.append(f"{where(i)}: unterminated ''' string")
                break
            blank(i + 3, end, "_")
            i = end + 3
        elif text.startswith("//", i) or text.startswith("#disable-", i):
            end = text.find("\n", i)
            end = n if end < 0 else end
            blank(i, end)
            i = end
        elif text.startswith("/*", i):
            end = text.find("*/", i + 2)
            if end < 0:
                problems.append(f"{where(i)}: unterminated /* comment")
                break
            blank(i, end + 2)
            i = end + 2
        elif text[i] == "'":
            string_start, i = i, i + 1
        elif text[i] in "{[(":
            stack.append((text[i], i))
            i += 1
        elif text[i] in "}])":
            if not stack:
                problems.append(f"{where(i)}: '{text[i]}' closes nothing")
            else:
                opener, at = stack.pop()
                if PAIRS[opener] != text[i]:
                    problems.append(
                        f"{where(i)}: '{text[i]}' closes '{opener}' opened at line {line_of(text, at)}"
                    )
                elif opener == "${":
                    string_start = at  # back inside the string the interpolation is part of
            i += 1
        else:
            i += 1
    if string_start >= 0:
        problems.append(f"{where(string_start)}: unterminated string")
    problems += [f"{where(at)}: '{opener}' is never closed" for opener, at in stack]
    return Source(path, text, "".join(out), tuple(dict.fromkeys(problems)))


def block(source: Source, open_index: int) -> tuple[int, int]:
    """The (start, end) of the text inside the brace or bracket at `open_index`."""
    depth = 0
    for k in range(open_index, len(source.masked)):
        if source.masked[k] in "{[(":
            depth += 1
        elif source.masked[k] in "}])":
            depth -= 1
        if depth == 0:
            return open_index + 1, k
    return open_index + 1, len(source.masked)


def keys(source: Source, start: int, end: int) -> list[str]:
    """The keys of the object whose body is masked[start:end], one `key: value` per line."""
    found: list[str] = []
    depth, k = 0, start
    for line in source.masked[start:end].split("\n"):
        match = KEY.match(line)
        if depth == 0 and match:
            found.append(source.text[k + match.start(1) : k + match.end(1)].strip("'"))
        depth += sum(line.count(c) for c in "{[(") - sum(line.count(c) for c in "}])")
        k += len(line) + 1
    return found


def object_keys(path: Path, var_name: str) -> list[str]:
    """The keys of `var <var_name> = { ... }` in a Bicep file, in order, duplicates kept."""
    source = scan(path)
    match = re.search(rf"^[ \t]*var[ \t]+{var_name}[ \t]*=[ \t]*\{{", source.masked, re.MULTILINE)
    if match is None:
        raise LookupError(f"{path}: no `var {var_name} = {{`")
    return keys(source, *block(source, match.end() - 1))


def params(path: Path) -> dict[str, str | None]:
    """Each declared param and its default's source text (None: no default)."""
    source = scan(path)
    declared: dict[str, str | None] = {}
    for match in PARAM.finditer(source.masked):
        type_text, eq, _ = match.group(2).partition("=")
        start = match.start(2) + len(type_text) + len(eq)
        declared[match.group(1)] = source.text[start : match.end(2)].strip() if eq else None
    return declared


def literal(value: str | None) -> str | int | bool | None:
    """A default's value when it is a plain literal: 'string', integer, true or false."""
    if value is None:
        return None
    if re.fullmatch(r"'[^'\\$]*'", value):
        return value[1:-1]
    if re.fullmatch(r"-?\d+", value):
        return int(value)
    return {"true": True, "false": False}.get(value)


def check_file(path: Path) -> list[str]:
    """Brackets, module paths, module params and module outputs of one Bicep file."""
    source = scan(path)
    problems = list(source.problems)
    if problems:
        return problems  # positions after a bracket slip mean nothing
    modules: dict[str, Path] = {}
    for match in MODULE.finditer(source.masked):
        name = match.group(1)
        path_end = source.text.index("'", match.end())
        reference = source.text[match.end() : path_end]
        if ":" in reference:
            continue  # a registry or template-spec module (br:, ts:): nothing local to check
        target = (path.parent / reference).resolve()
        at = f"{path}:{source.line(match.start())}: module {name}"
        if not target.is_file():
            problems.append(f"{at}: no file {target}")
            continue
        modules[name] = target
        body = block(source, source.masked.index("{", path_end))
        given = re.search(r"^[ \t]*params[ \t]*:[ \t]*\{", source.masked[body[0] : body[1]], re.MULTILINE)
        passed = set(keys(source, *block(source, body[0] + given.end() - 1))) if given else set()
        declared = params(target)
        problems += [
            f"{at}: required param '{p}' is not passed"
            for p, d in declared.items()
            if d is None and p not in passed
        ]
        problems += [
            f"{at}: passes '{p}', which {target.name} does not declare"
            for p in sorted(passed - set(declared))
        ]
    for match in OUTPUT_REF.finditer(source.masked):
        name, output = match.groups()
        if name in modules and output not in OUTPUT.findall(scan(modules[name]).masked):
            problems.append(
                f"{path}:{source.line(match.start())}: {modules[name].name} has no output '{output}'"
            )
    return problems


def check_tree(root: Path) -> list[str]:
    """Every problem of every .bicep file under `root`."""
    return [problem for path in sorted(root.rglob("*.bicep")) for problem in check_file(path)]


def check_parameters_file(template: Path, parameters: Path) -> list[str]:
    """A deploymentParameters file must name exactly the template's params."""
    named = set(json.loads(parameters.read_text(encoding="utf-8"))["parameters"])
    declared = set(params(template))
    missing = [f"{parameters}: param '{p}' of {template.name} is missing" for p in sorted(declared - named)]
    unknown = [f"{parameters}: '{p}' is not a param of {template.name}" for p in sorted(named - declared)]
    return missing + unknown
