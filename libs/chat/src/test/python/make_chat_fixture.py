#!/usr/bin/env python3
"""Renders every chat template in src/test/resources/chat-templates/ over every conversation in conversations.json
with Jinja2, the way Hugging Face transformers' apply_chat_template does, and writes expected.json for
ChatTemplateFixtureTest.

The reference is Jinja2 itself (Debian: apt-get install python3-jinja2), configured as transformers configures it:
an immutable sandbox, trim_blocks and lstrip_blocks, the loop-controls extension, a tojson filter that keeps
non-ASCII characters, and raise_exception. strftime_now is left out: conversations that need a date pass
date_string.

    python3 libs/chat/src/test/python/make_chat_fixture.py
"""
import json
import pathlib

from jinja2.sandbox import ImmutableSandboxedEnvironment

HERE = pathlib.Path(__file__).resolve().parent
TEMPLATES = HERE.parent / "resources" / "chat-templates"


class RaisedByTemplate(Exception):
    pass


def raise_exception(message):
    raise RaisedByTemplate(message)


def tojson(value, ensure_ascii=False, indent=None, separators=None, sort_keys=False):
    return json.dumps(value, ensure_ascii=ensure_ascii, indent=indent, separators=separators, sort_keys=sort_keys)


def environment():
    env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True, extensions=["jinja2.ext.loopcontrols"])
    env.filters["tojson"] = tojson
    env.globals["raise_exception"] = raise_exception
    return env


def main():
    env = environment()
    conversations = json.loads((TEMPLATES / "conversations.json").read_text(encoding="utf-8"))
    cases = []
    for path in sorted(TEMPLATES.glob("*.jinja")):
        template = env.from_string(path.read_text(encoding="utf-8"))
        for conversation in conversations:
            context = dict(conversation["context"])
            try:
                result = {"rendered": template.render(**context)}
            except RaisedByTemplate as e:  # the template's own refusal: its words must come through
                result = {"error": str(e)}
            except Exception as e:  # the template failed on this input (a Python error inside Jinja2): any refusal
                result = {"failure": f"{type(e).__name__}: {e}"}
            cases.append({"template": path.name, "conversation": conversation["name"], **result})
    (TEMPLATES / "expected.json").write_text(json.dumps(cases, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"{len(cases)} renderings written")


if __name__ == "__main__":
    main()
