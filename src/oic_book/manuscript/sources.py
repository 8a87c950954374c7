"""Reading the manuscript's files: UTF-8 text and YAML that remembers its line numbers.

Everything read from the manuscript goes through here, so that a bad byte or a bad YAML
key is reported at its `path:line` instead of as a traceback.
"""

from __future__ import annotations

import unicodedata
from pathlib import Path
from typing import Any

import yaml

from ..errors import Problems, shorten
from ..project import MANUSCRIPT, MAX_TEXT_BYTES, FileTooLarge, OutsideProject, read_file
from .sanitise import CONTROL


def read_bytes(
    path: Path,
    problems: Problems,
    folders: tuple[str, ...] = (MANUSCRIPT,),
    limit: int = MAX_TEXT_BYTES,
) -> bytes | None:
    """A project file's bytes (see `project.read_file`), or None with a problem recorded."""
    try:
        return read_file(path, problems.root, folders, limit)
    except OutsideProject as exc:
        problems.error("E003", path, 1, f"file {exc.reason}")
    except FileNotFoundError:
        problems.error("E001", path, 1, "file not found")
    except FileTooLarge as exc:
        problems.error("E004", path, 1, f"file {exc.strerror}")
    except OSError as exc:
        problems.error("E001", path, 1, f"cannot read file: {exc.strerror}")
    return None


def read_text(path: Path, problems: Problems) -> str | None:
    """The file's text, or None (with a problem recorded) if it is missing or not UTF-8.

    The text is normalised to NFC: a Kazakh letter typed as a base letter plus a
    combining mark (NFD, as some editors and file systems save it) would be drawn with a
    misplaced mark, hyphenated differently and missed by every check that compares text.
    """
    data = read_bytes(path, problems)
    if data is None:
        return None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        line_start = data.rfind(b"\n", 0, exc.start) + 1
        # The column in characters, as editors count it, not in bytes.
        col = len(data[line_start : exc.start].decode("utf-8", "replace")) + 1
        problems.error("E002", path, line, f"invalid UTF-8 byte 0x{data[exc.start]:02x}", col)
        return None
    # A BOM is invisible to authors and breaks the first heading; drop it.
    text = text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    for count, match in enumerate(CONTROL.finditer(text)):
        if count == 10:  # a binary file: ten are enough to say so
            break
        line = text.count("\n", 0, match.start()) + 1
        col = match.start() - (text.rfind("\n", 0, match.start()) + 1) + 1
        message = f"control character U+{ord(match[0]):04X} (invisible, and not allowed)"
        problems.error("E005", path, line, message, col)
    # Reported once, here: left out, so that no later check reports them again.
    text = CONTROL.sub("", text)
    return unicodedata.normalize("NFC", text)


class LocatedDict(dict):
    """A YAML mapping that knows the line of each key (and of itself)."""

    line: int = 1
    key_lines: dict[Any, int]


class LocatedList(list):
    """A YAML sequence that knows the line of each item (and of itself)."""

    line: int = 1
    item_lines: list[int]


class _Loader(yaml.SafeLoader):
    """SafeLoader that records line numbers and refuses duplicate keys."""

    duplicate_keys: list[tuple[Any, int]]
    # (line, message) of what the schema cannot judge: a key that is a list (left out),
    # an alias (the whole file is refused: nested aliases can stand for billions of values).
    refused: list[tuple[int, str]]
    aliases: list[tuple[int, str]]

    def compose_node(self, parent, index):
        # An alias makes one value appear in many places (or, nested, billions of
        # times): a book needs none, and refusing it keeps every value where it is typed.
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            self.aliases.append(
                (event.start_mark.line + 1, f"YAML aliases (*{event.anchor}) are not supported")
            )
        return super().compose_node(parent, index)

    def construct_mapping(self, node, deep=False):
        self.flatten_mapping(node)
        result = LocatedDict()
        result.line = node.start_mark.line + 1
        result.key_lines = {}
        for key_node, value_node in node.value:
            key = self.construct_object(key_node, deep=True)
            try:
                hash(key)
            except TypeError:
                line = key_node.start_mark.line + 1
                self.refused.append((line, "a key must be a plain word, not a list or mapping"))
                continue
            if key in result:
                self.duplicate_keys.append((key, key_node.start_mark.line + 1))
            result[key] = self.construct_object(value_node, deep=True)
            result.key_lines[key] = key_node.start_mark.line + 1
        return result

    def construct_sequence(self, node, deep=False):
        result = LocatedList(self.construct_object(child, deep=True) for child in node.value)
        result.line = node.start_mark.line + 1
        result.item_lines = [child.start_mark.line + 1 for child in node.value]
        return result

    def construct_yaml_str(self, node):
        # NFC, as the files are: a YAML escape (\u0306) could still spell a letter apart.
        return unicodedata.normalize("NFC", super().construct_yaml_str(node))

    def construct_yaml_int(self, node):
        # Python refuses to read an integer of more than 4,300 digits; keep the text, for
        # the schema to judge where it stands.
        try:
            return super().construct_yaml_int(node)
        except ValueError:
            return self.construct_scalar(node)

    def construct_yaml_timestamp(self, node):
        # "2026-13-45" looks like a date to YAML but is none: keep the text, so that the
        # schema reports it at its key ("'date' must be a date") instead of crashing.
        try:
            return super().construct_yaml_timestamp(node)
        except ValueError:
            return self.construct_scalar(node)


_Loader.add_constructor("tag:yaml.org,2002:timestamp", _Loader.construct_yaml_timestamp)
_Loader.add_constructor("tag:yaml.org,2002:str", _Loader.construct_yaml_str)
_Loader.add_constructor("tag:yaml.org,2002:int", _Loader.construct_yaml_int)
_Loader.add_constructor("tag:yaml.org,2002:map", _Loader.construct_mapping)
_Loader.add_constructor("tag:yaml.org,2002:seq", _Loader.construct_sequence)


def read_yaml(path: Path, problems: Problems) -> Any:
    """Parse a YAML file; syntax errors and duplicate keys become located problems."""
    text = read_text(path, problems)
    if text is None:
        return None
    try:
        # The reader checks every character up front: a control character fails here.
        loader = _Loader(text)
    except yaml.reader.ReaderError as exc:
        line = text.count("\n", 0, exc.position) + 1
        col = exc.position - (text.rfind("\n", 0, exc.position) + 1) + 1
        message = f"YAML syntax error: character U+{exc.character:04X} is not allowed"
        problems.error("Y001", path, line, message, col)
        return None
    loader.duplicate_keys = []
    loader.refused = []
    loader.aliases = []
    try:
        data = loader.get_single_data()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 1
        col = mark.column + 1 if mark else None
        problems.error("Y001", path, line, f"YAML syntax error: {exc.problem}", col)
        return None
    except yaml.YAMLError as exc:
        problems.error("Y001", path, 1, "YAML error: " + " ".join(str(exc).split()))
        return None
    except RecursionError:
        problems.error("Y001", path, 1, "YAML error: nested too deeply")
        return None
    except (ValueError, TypeError, OverflowError) as exc:  # a constructor's own error
        problems.error("Y001", path, 1, f"YAML error: a value cannot be read ({exc})")
        return None
    finally:
        loader.dispose()
    for key, line in loader.duplicate_keys:
        problems.error("Y002", path, line, f"duplicate key '{shorten(str(key), 60)}'")
    for line, message in loader.refused + loader.aliases:
        problems.error("Y001", path, line, message)
    return None if loader.aliases else data
