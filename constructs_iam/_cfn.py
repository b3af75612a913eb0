"""Resolve CloudFormation intrinsic functions in a template value (not public API).

Used by ``constructs_iam.access`` (with names derived from the template) and by the deploy tests
(with the physical ids of a deployed stack). What cannot be resolved raises ``Unresolvable``
naming the function; nothing is guessed.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any


class Unresolvable(ValueError):
    """A value uses an intrinsic function or reference this resolver cannot evaluate."""


RefLookup = Callable[[str], str]
AttLookup = Callable[[str, str], str]


def resolve(
    value: Any,
    *,
    ref: RefLookup,
    get_att: AttLookup,
    pseudo: Mapping[str, str],
    stack_output: Callable[[str, str], Any] | None = None,
) -> Any:
    """Return ``value`` with ``Ref``, ``Fn::GetAtt``, ``Fn::Join``, ``Fn::Sub``, ``Fn::Select``,
    ``Fn::Split``, pseudo parameters and, given ``stack_output(stack name, output name)``,
    ``Fn::GetStackOutput`` (CDK's weak cross-stack reference) replaced by strings."""

    def visit(node: Any) -> Any:
        if isinstance(node, list):
            return [visit(item) for item in node]
        if not isinstance(node, dict):
            return node
        if len(node) != 1 or not next(iter(node)).startswith(("Fn::", "Ref")):
            return {key: visit(item) for key, item in node.items()}
        (function, argument), = node.items()
        if function == "Ref":
            if argument in pseudo:
                return pseudo[argument]
            if argument.startswith("AWS::"):
                raise Unresolvable(f"pseudo parameter {argument} is not known")
            return ref(argument)
        if function == "Fn::GetAtt":
            logical_id, attribute = argument if isinstance(argument, list) else argument.split(".", 1)
            return get_att(logical_id, visit(attribute))
        if function == "Fn::Join":
            delimiter, items = argument
            parts = visit(items)
            if not all(isinstance(part, str) for part in parts):
                raise Unresolvable(f"Fn::Join of non-strings: {parts!r}")
            return delimiter.join(parts)
        if function == "Fn::Sub":
            template, variables = (argument, {}) if isinstance(argument, str) else (argument[0], visit(argument[1]))
            return _substitute(template, variables, ref=ref, get_att=get_att, pseudo=pseudo)
        if function == "Fn::Select":
            index, items = argument
            return visit(items)[int(visit(index))]
        if function == "Fn::GetStackOutput":
            spec = visit(argument)
            if stack_output is None or not isinstance(spec, dict):
                raise Unresolvable("Fn::GetStackOutput: the producing stack's outputs are not known here")
            return stack_output(str(spec.get("StackName")), str(spec.get("OutputName")))
        if function == "Fn::Split":
            delimiter, text = argument
            return visit(text).split(delimiter)
        raise Unresolvable(f"intrinsic function {function} is not supported")

    return visit(value)


def _substitute(template: str, variables: Mapping[str, Any], *, ref: RefLookup, get_att: AttLookup, pseudo: Mapping[str, str]) -> str:
    out, i = [], 0
    while i < len(template):
        start = template.find("${", i)
        if start < 0:
            out.append(template[i:])
            break
        out.append(template[i:start])
        end = template.index("}", start)
        name = template[start + 2 : end]
        if name.startswith("!"):  # ${!Literal} is written as ${Literal}
            out.append("${" + name[1:] + "}")
        elif name in variables:
            out.append(str(variables[name]))
        elif name in pseudo:
            out.append(pseudo[name])
        elif "." in name:
            logical_id, attribute = name.split(".", 1)
            out.append(get_att(logical_id, attribute))
        else:
            out.append(ref(name))
        i = end + 1
    return "".join(out)
