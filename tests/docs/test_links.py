"""The guide's pages hold together: the console's pointers exist, relative links resolve,
pictures stay small."""

from __future__ import annotations

import re
from pathlib import Path

from tests.docs.pages import ALGOS, DOCS, REPO, doc_pages


def test_console_guide_paths_exist() -> None:
    from simple_game.training import run as train

    assert (REPO / train.GUIDE).is_file(), train.GUIDE
    for algo in ALGOS:
        page = train.ALGO_GUIDE.format(algo=algo)
        assert (REPO / page).is_file(), page


LINK = re.compile(r"\]\(([^)\s]+)\)")


def github_anchors(page: Path) -> set[str]:
    """The anchors GitHub gives the headings of a Markdown page."""
    anchors = set()
    for heading in re.findall(r"^#{1,6}\s+(.+?)\s*$", page.read_text(encoding="utf-8"), re.M):
        slug = re.sub(r"[^\w\- ]", "", heading.lower()).replace(" ", "-")
        anchors.add(slug)
    return anchors


def test_relative_links_resolve() -> None:
    broken = []
    for page in doc_pages():
        for target in LINK.findall(page.read_text(encoding="utf-8")):
            if re.match(r"^[a-z]+:", target):
                continue
            file, _, anchor = target.partition("#")
            path = (page.parent / file) if file else page
            if not path.exists():
                broken.append(f"{page.relative_to(REPO)} -> {target}")
            elif anchor and path.suffix == ".md" and anchor not in github_anchors(path):
                broken.append(f"{page.relative_to(REPO)} -> {target} (no such heading)")
    assert not broken, "broken links:\n" + "\n".join(broken)


def test_pictures_are_small_pngs() -> None:
    big = [
        f"{p.relative_to(REPO)} ({p.stat().st_size // 1024} KB)"
        for p in (DOCS / "img").glob("*")
        if p.suffix != ".py" and (p.suffix != ".png" or p.stat().st_size > 100_000)
    ]
    assert not big, (
        "docs/img must hold PNGs under 100 KB (and the script that draws them): " + ", ".join(big)
    )
