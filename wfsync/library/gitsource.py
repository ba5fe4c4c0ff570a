"""The library at a git ref, and the commit a push records: the only module that imports gitpython.

``--ref`` (rollback, review) reads blobs straight from the object database into a scratch folder,
so the working tree, the index and HEAD are never touched, and uncommitted work is safe.
"""

from __future__ import annotations

import dataclasses
import io
import tarfile
from pathlib import Path

import git

from wfsync.errors import UsageError

DIRTY = "-dirty"
SYMLINK_MODE = 0o120000


def _repo(root: Path) -> git.Repo | None:
    try:
        return git.Repo(root, search_parent_directories=True)
    except (git.InvalidGitRepositoryError, git.NoSuchPathError):
        return None


def working_tree_commit(root: Path, library: Path) -> str:
    """HEAD's commit, plus ``-dirty`` when the library has uncommitted changes; '' outside git."""
    repo = _repo(root)
    if repo is None:
        return ""
    try:
        head = repo.head.commit.hexsha
    except ValueError:  # a repository without commits yet
        return ""
    top = Path(repo.working_tree_dir or root).resolve()
    try:
        rel = library.resolve().relative_to(top).as_posix()
    except ValueError:
        return head
    dirty = repo.is_dirty(index=True, working_tree=True, untracked_files=True, path=rel or ".")
    return head + (DIRTY if dirty else "")


def export_library(root: Path, library: Path, ref: str, dest: Path) -> tuple[str, Path]:
    """Write the library as it is at ``ref`` under ``dest``; return the commit and the library folder there.

    The folder keeps the library's path relative to the repository, so source paths recorded
    from it read the same as from the working tree.
    """
    repo = _repo(root)
    if repo is None:
        raise UsageError(f"--ref {ref}: {root} is not inside a git repository")
    try:
        commit = repo.commit(ref)
        whole = commit.tree  # a full-length hex name is only looked up here
    except (git.BadName, git.BadObject, ValueError) as err:
        reason = "no such object" if isinstance(err, ValueError) else err
        raise UsageError(
            f"--ref {ref}: not a commit, branch or tag in {repo.working_tree_dir} ({reason})"
        ) from None
    top = Path(repo.working_tree_dir or root).resolve()
    try:
        rel = library.resolve().relative_to(top).as_posix()
    except ValueError:
        raise UsageError(f"the library {library} is outside the git repository {top}") from None
    out = dest / rel if rel not in ("", ".") else dest
    out.mkdir(parents=True, exist_ok=True)
    try:
        tree = whole / rel if rel not in ("", ".") else whole
    except KeyError:
        raise UsageError(
            f"--ref {ref}: the library folder {rel} does not exist at {commit.hexsha[:12]}"
        ) from None
    # one `git archive` stream instead of a cat-file round trip per blob (10x faster for 500 files)
    stream = io.BytesIO()
    if rel not in ("", "."):
        repo.archive(stream, commit.hexsha, format="tar", path=[tree.path])
    else:
        repo.archive(stream, commit.hexsha, format="tar")
    stream.seek(0)
    with tarfile.open(fileobj=stream) as archive:
        for member in archive:
            if not member.isfile():  # symlinks (and submodules) are never followed
                continue
            name = Path(member.name)
            if name.is_absolute() or ".." in name.parts:  # pragma: no cover - git never stores such paths
                continue
            path = out / name.relative_to(rel) if rel not in ("", ".") else out / name
            path.parent.mkdir(parents=True, exist_ok=True)
            data = archive.extractfile(member)
            if data is not None:
                path.write_bytes(data.read())
    return commit.hexsha, out


DEFAULT_BRANCHES = ("main", "master", "trunk")


def default_base(root: Path) -> str:
    """The merge-base of HEAD with the default branch: what a pull request would be reviewed against.

    The default branch is ``origin/HEAD`` when the clone knows it, else the first of
    ``origin/main``, ``main``, ``origin/master``, ``master``, ... that exists. On the default branch
    itself this is HEAD, so ``review`` shows the uncommitted work.
    """
    repo = _repo(root)
    if repo is None:
        raise UsageError(f"review needs a git repository: {root} is not inside one (give --base and --head)")
    try:
        head = repo.head.commit
    except ValueError:
        raise UsageError(f"the repository {repo.working_tree_dir} has no commits yet") from None
    candidates = ["origin/HEAD"] + [f"{remote}{b}" for b in DEFAULT_BRANCHES for remote in ("origin/", "")]
    for name in candidates:
        try:
            other = repo.commit(name)
        except (git.BadName, git.BadObject, ValueError):
            continue
        bases = repo.merge_base(head, other)
        if bases and isinstance(bases[0], git.Commit):
            return bases[0].hexsha
    return head.hexsha


def resolve_commit(root: Path, ref: str) -> str:
    """The full commit id of ``ref``; a usage error naming it when it is not one."""
    repo = _repo(root)
    if repo is None:
        raise UsageError(f"{ref}: {root} is not inside a git repository")
    try:
        return repo.commit(ref).hexsha
    except (git.BadName, git.BadObject, ValueError) as err:
        raise UsageError(f"{ref}: not a commit, branch or tag in {repo.working_tree_dir} ({err})") from None


@dataclasses.dataclass(frozen=True)
class CommitInfo:
    """One commit of the library's history, newest first."""

    hexsha: str
    date: str
    """Committer date, ISO 8601."""
    summary: str


def library_commits(root: Path, library: Path, limit: int = 200) -> list[CommitInfo]:
    """The commits that changed the library folder, newest first (at most ``limit``)."""
    repo = _repo(root)
    if repo is None:
        raise UsageError(f"history needs a git repository: {root} is not inside one")
    top = Path(repo.working_tree_dir or root).resolve()
    try:
        rel = library.resolve().relative_to(top).as_posix()
    except ValueError:
        raise UsageError(f"the library {library} is outside the git repository {top}") from None
    try:
        commits = list(repo.iter_commits("HEAD", paths=rel or ".", max_count=limit))
    except (git.GitCommandError, ValueError):
        return []
    return [CommitInfo(c.hexsha, c.committed_datetime.isoformat(), str(c.summary)) for c in commits]
