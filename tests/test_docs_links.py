"""Every relative link of the user documentation resolves.

Checked documents: ``README.md``, ``configs/README.md``, ``docs/**/*.md``
and ``projects/**/README.md``. A link is ``[text](target)`` (also an image,
``![alt](target)``, a title after the target and ``(<target>)``), a
reference definition ``[label]: target``, or an autolink ``<target>`` whose
target looks like a path (holds a ``.``, a ``#`` or an inner ``/``), all
outside code spans and fenced code blocks. Targets with a scheme
(``http:``, ``mailto:``, ...) are not checked.

A relative target must name a file or folder inside the repository
(relative to the document; a leading ``/`` is the repository root, as on
GitHub). An anchor ``#x``, alone or after a Markdown file, must be one of
that file's headings under GitHub's slug rules (lower case; every character
but letters, digits, ``-``, ``_`` and spaces dropped; spaces to ``-``;
``-1``, ``-2``... for repeats) or an explicit ``id``/``name`` anchor.
"""
import glob
import os.path as osp
import re
from typing import Dict, List, Optional, Set, Tuple
from urllib.parse import unquote

import pytest
from conftest import REPO_ROOT

FENCE = re.compile(r'^\s{0,3}(`{3,}|~{3,})')
ATX_HEADING = re.compile(r'^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$')
SETEXT_UNDERLINE = re.compile(r'^\s{0,3}(=+|-+)\s*$')
CODE_SPAN = re.compile(r'(`+)(.+?)\1')
INLINE_LINK = re.compile(
    r'!?\[(?:[^\[\]]|\[[^\[\]]*\])*\]\(\s*(<[^>]*>|[^\s)]*)'
    r'(?:\s+(?:"[^"]*"|\'[^\']*\'|\([^)]*\)))?\s*\)')
REFERENCE_DEF = re.compile(r'^\s{0,3}\[[^\]]+\]:\s*(<[^>]*>|\S+)')
AUTOLINK = re.compile(r'<([^<>\s]+)>')
HTML_ANCHOR = re.compile(r'<a\s[^>]*(?:name|id)\s*=\s*"([^"]+)"', re.I)
SCHEME = re.compile(r'^[A-Za-z][A-Za-z0-9+.-]*:')


def documents() -> List[str]:
    """The checked Markdown files, relative to the repository root."""
    patterns = ['README.md', 'configs/README.md', 'docs/**/*.md',
                'projects/**/README.md']
    found = set()
    for pattern in patterns:
        found.update(glob.glob(osp.join(REPO_ROOT, pattern), recursive=True))
    return sorted(osp.relpath(path, REPO_ROOT) for path in found)


def prose_lines(text: str,
                blank_code: bool = True) -> List[Tuple[int, str]]:
    """``(line number, line)`` outside fenced code; code spans blanked
    unless ``blank_code`` is False."""
    lines, fence = [], None
    for number, line in enumerate(text.split('\n'), 1):
        match = FENCE.match(line)
        if fence is not None:
            if match and match.group(1)[0] == fence[0] and \
                    len(match.group(1)) >= len(fence):
                fence = None
            continue
        if match:
            fence = match.group(1)
            continue
        if blank_code:
            line = CODE_SPAN.sub(lambda m: ' ' * len(m.group(0)), line)
        lines.append((number, line))
    return lines


def github_slug(heading: str) -> str:
    """GitHub's anchor for a heading's Markdown text (without counters)."""
    text = re.sub(r'!?\[([^\]]*)\]\([^)]*\)', r'\1', heading)  # links
    text = re.sub(r'<[^>]+>', '', text)  # inline HTML
    text = text.strip().lower()
    text = ''.join(ch for ch in text
                   if ch.isalnum() or ch in '-_ ')
    return text.replace(' ', '-')


def anchors(text: str) -> Set[str]:
    """Every heading anchor of a Markdown text, and explicit anchors."""
    found: Set[str] = set()
    counts: Dict[str, int] = {}

    def add(heading: str) -> None:
        slug = github_slug(heading)
        count = counts.get(slug, 0)
        counts[slug] = count + 1
        found.add(slug if count == 0 else f'{slug}-{count}')

    previous: Optional[str] = None
    for _, line in prose_lines(text, blank_code=False):
        heading = ATX_HEADING.match(line)
        if heading:
            add(heading.group(2))
            previous = None
            continue
        if SETEXT_UNDERLINE.match(line) and previous and \
                not re.match(r'\s*([|>*+-]|\d+\.)', previous):
            add(previous)
            previous = None
            continue
        found.update(HTML_ANCHOR.findall(line))
        previous = line if line.strip() else None
    return found


def links(text: str) -> List[Tuple[int, str]]:
    """``(line number, target)`` of every link in the prose."""
    found = []
    for number, line in prose_lines(text):
        targets = [m.group(1) for m in INLINE_LINK.finditer(line)]
        definition = REFERENCE_DEF.match(line)
        if definition:
            targets.append(definition.group(1))
        rest = INLINE_LINK.sub('', line)
        for match in AUTOLINK.finditer(rest):
            target = match.group(1)
            if '.' in target or '#' in target or \
                    '/' in target.strip('/'):
                targets.append(target)
        for target in targets:
            if target.startswith('<') and target.endswith('>'):
                target = target[1:-1]
            if target:
                found.append((number, target))
    return found


def problems(document: str, root: str = REPO_ROOT) -> List[str]:
    """One line per broken link of ``document`` (relative to ``root``)."""
    path = osp.join(root, document)
    with open(path, encoding='utf-8') as f:
        text = f.read()
    found = []
    for number, target in links(text):
        if SCHEME.match(target) or target.startswith('//'):
            continue
        where = f'{document}:{number}: link ({target})'
        file_part, _, anchor = target.partition('#')
        file_part = unquote(file_part)
        if not file_part:
            dest = path
        elif file_part.startswith('/'):
            dest = osp.join(root, file_part.lstrip('/'))
        else:
            dest = osp.join(osp.dirname(path), file_part)
        dest = osp.normpath(dest)
        if osp.relpath(dest, root).startswith('..'):
            found.append(f'{where} points outside the repository')
            continue
        if not osp.exists(dest):
            found.append(f'{where}: {osp.relpath(dest, root)} does not '
                         'exist; fix the path or add the file')
            continue
        if anchor and osp.isfile(dest) and dest.endswith('.md'):
            with open(dest, encoding='utf-8') as f:
                valid = anchors(f.read())
            if unquote(anchor) not in valid:
                found.append(
                    f'{where}: no heading #{anchor} in '
                    f'{osp.relpath(dest, root)} (its anchors: '
                    f'{", ".join(sorted(valid))})')
    return found


def test_documents_are_collected():
    docs = documents()
    assert {'README.md', 'configs/README.md', 'docs/install.md',
            'docs/vrm_method.md'} <= set(docs)


@pytest.mark.parametrize('document', documents())
def test_relative_links_resolve(document):
    broken = problems(document)
    assert not broken, '\n'.join(broken)


def test_github_slugs():
    assert github_slug('What `import vrm_mm` changes') == \
        'what-import-vrm_mm-changes'
    assert github_slug('2. Batch size') == '2-batch-size'
    assert github_slug('Feature-based baselines (second machine, set '
                       '`xeon`)') == \
        'feature-based-baselines-second-machine-set-xeon'
    assert github_slug('VRM — Virtual Relation Matching') == \
        'vrm--virtual-relation-matching'
    assert github_slug('See [the docs](docs/x.md) now') == \
        'see-the-docs-now'
    text = '# Title\n\n## Usage\n\n## Usage\n\nPara\n---\n```\n# code\n```\n'
    assert anchors(text) == {'title', 'usage', 'usage-1', 'para'}


def test_links_outside_code_only():
    text = ('See [a](a.md#x "title") and ![img](b/c.png), '
            '`[not](code.md)` <docs/d.md> <br/> <https://e.org>\n'
            '```\n[fenced](f.md)\n```\n[ref]: <g h.md>\n'
            '[nested [brackets]](i.md)\n')
    assert links(text) == [(1, 'a.md#x'), (1, 'b/c.png'), (1, 'docs/d.md'),
                           (1, 'https://e.org'), (5, 'g h.md'),
                           (6, 'i.md')]


def test_broken_links_are_named(tmp_path):
    (tmp_path / 'docs').mkdir()
    (tmp_path / 'docs' / 'a.md').write_text('# A page\n\n## Part two\n')
    (tmp_path / 'README.md').write_text(
        '# Top\n[ok](docs/a.md#part-two) [self](#top) [dir](docs/)\n'
        '[gone](docs/missing.md) [bad anchor](docs/a.md#part-3)\n'
        '[no anchor](#nowhere) [out](../x.md) [web](https://x.org/y)\n')
    found = problems('README.md', root=str(tmp_path))
    assert len(found) == 4, found
    assert found[0].startswith('README.md:3: link (docs/missing.md)')
    assert 'docs/missing.md does not exist' in found[0]
    assert 'no heading #part-3 in docs/a.md' in found[1]
    assert 'a-page' in found[1] and 'part-two' in found[1]
    assert found[2].startswith('README.md:4: link (#nowhere)')
    assert 'outside the repository' in found[3]
