"""Every key of every YAML file under conf/ carries an explanatory comment."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import yaml

from tests.docs.pages import REPO


def conf_files() -> list[Path]:
    roots = [REPO / "conf", REPO / "simple_game" / "conf"]
    return sorted(p for root in roots if root.is_dir() for p in root.rglob("*.yaml"))


def uncommented_keys(path: Path) -> list[str]:
    """``file:line key.path`` of each mapping key without a comment on its line or above."""
    text = path.read_text(encoding="utf-8")
    lines = text.splitlines()
    root = yaml.compose(text, Loader=yaml.SafeLoader)
    found: list[str] = []

    def has_comment(key: yaml.Node, value: yaml.Node) -> bool:
        row = key.start_mark.line
        line = lines[row]
        inline = isinstance(value, yaml.ScalarNode) or getattr(value, "flow_style", False)
        on_row = inline and value.end_mark.line == row
        rest = line[value.end_mark.column :] if on_row else line[key.end_mark.column :]
        if re.search(r"(^|\s)#", rest):
            return True
        above = row - 1
        while above >= 0 and not lines[above].strip():
            above -= 1
        return above >= 0 and lines[above].lstrip().startswith("#")

    def walk(node: yaml.Node | None, prefix: str) -> None:
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                name = f"{prefix}{key.value}"
                if not has_comment(key, value):
                    found.append(f"{path.relative_to(REPO)}:{key.start_mark.line + 1} {name}")
                walk(value, name + ".")
        elif isinstance(node, yaml.SequenceNode):
            for i, item in enumerate(node.value):
                walk(item, f"{prefix}[{i}].")

    walk(root, "")
    return found


def test_every_config_key_has_a_comment() -> None:
    files = conf_files()
    assert files, "no YAML files found under conf/"
    missing = [entry for path in files for entry in uncommented_keys(path)]
    assert not missing, "config keys without an explanatory comment:\n" + "\n".join(missing)


def test_comment_check_catches_a_bare_key(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("# header\na: 1  # fine\nb:\n  c: 2\n# about d\nd: '#not a comment'\n")
    # uncommented_keys reports paths relative to the repo; point it at a file inside it.
    probe = REPO / "tests" / f".probe_{os.getpid()}.yaml"
    shutil.copy(bad, probe)
    try:
        found = [entry.split(" ", 1)[1] for entry in uncommented_keys(probe)]
    finally:
        probe.unlink()
    assert found == ["b", "b.c"]
