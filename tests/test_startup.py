"""Start-up promises: `import rectify` loads no heavy or optional package until it is used."""

from __future__ import annotations

import importlib
import subprocess
import sys
import textwrap

import pytest

import rectify

#: Packages that cost tens of milliseconds at import and are needed only by some calls.
HEAVY = ("networkx", "transitions", "hypothesis", "structlog", "rich", "asyncio", "numpy")


def _loaded_after(code: str) -> set[str]:
    """The top-level packages of `HEAVY` loaded after running ``code`` in a fresh interpreter."""
    probe = textwrap.dedent(code) + textwrap.dedent(f"""
        import sys
        print(" ".join(sorted({{m.split(".")[0] for m in sys.modules}} & set({HEAVY!r}))))
    """)
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                            check=False)
    assert result.returncode == 0, result.stderr
    return set(result.stdout.split())


def test_import_rectify_loads_no_heavy_package() -> None:
    """`import rectify` alone imports none of networkx, transitions, hypothesis, structlog."""
    assert _loaded_after("import rectify") == set()


def test_core_modules_load_no_heavy_package() -> None:
    """Identification, the facade and the stores import without the heavy packages.

    networkx is loaded by the coverage graph and the pairing, transitions by
    the workflow machine, structlog by the first log record: none at import.
    """
    loaded = _loaded_after("""
        from rectify import Campaign, SQLiteStore, load_policy
        import rectify.identify, rectify.bulk, rectify.coverage, rectify.reporting
        load_policy()
    """)
    assert loaded == set()


def test_logging_still_reaches_the_host_through_structlog() -> None:
    """The logger built on first use emits the same stdlib record as before."""
    code = textwrap.dedent("""
        import logging, sys
        from datetime import date
        import rectify
        from rectify.identify import identify
        from rectify.sample import sample_assessments, sample_people, sample_population
        records = []
        class Keep(logging.Handler):
            def emit(self, record):
                records.append(record)
        logging.getLogger("rectify").addHandler(Keep())
        logging.getLogger("rectify").setLevel(logging.INFO)
        pop = sample_population()
        dept = rectify.Person("OD-1", "组织部干部", roles={"org_department"})
        c = rectify.Campaign(rectify.load_policy(), population=pop,
                             people=[*sample_people(), dept])
        assert "structlog" not in sys.modules
        r = identify(pop, sample_assessments(), c.policy, 2017)
        c.open_cases(r, actor=dept, on=date(2017, 2, 1))
        try:
            c.delist(f"2017-{r.listed()[0].org}", actor=dept, on=date(2017, 2, 2))
        except rectify.CommandRefused:
            pass
        first = records[0]
        print(first.getMessage(), first.name, first.state, "structlog" in sys.modules)
    """)
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=False)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["command.refused", "rectify.campaign", "identified",
                                     "True"]


@pytest.mark.parametrize("name", rectify.__all__)
def test_every_public_name_is_the_object_of_its_module(name: str) -> None:
    """A lazily loaded name is the very object its defining module holds, and is listed."""
    value = getattr(rectify, name)
    defining = importlib.import_module(rectify._WHERE[name])
    assert getattr(defining, name) is value
    assert name in dir(rectify)


def test_unknown_name_raises_attribute_error() -> None:
    """A name rectify does not export raises `AttributeError`, as for any module."""
    with pytest.raises(AttributeError, match="no attribute 'Nope'"):
        _ = rectify.Nope  # type: ignore[attr-defined]
    assert sorted(rectify._WHERE) == rectify.__all__


def _modules_after_help(argv: list[str]) -> set[str]:
    """The modules loaded in a fresh interpreter after ``rectify <argv>`` exits."""
    probe = textwrap.dedent(f"""
        import contextlib, io, sys
        sys.argv = ["rectify", *{argv!r}]
        from rectify.cli import main
        with contextlib.redirect_stdout(io.StringIO()) as shown:
            try:
                main()
            except SystemExit as exc:
                assert exc.code in (0, None), exc.code
        assert "Usage" in shown.getvalue(), shown.getvalue()
        sys.stdout.write(" ".join(sorted(sys.modules)))
    """)
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                            check=False)
    assert result.returncode == 0, result.stderr
    return set(result.stdout.split())


#: What `rectify --help` must not import: rich (the output consoles are made on first
#: print) and the library behind the commands (each command imports what it runs).
NOT_FOR_HELP = ("rich", "rectify.campaign", "rectify.policy", "rectify.identify",
                "rectify.events", "rectify.lifecycle", "rectify.stores", "rectify.inputs",
                "rectify.sample", "cattrs", *HEAVY)


@pytest.mark.parametrize("argv", [["--help"], ["case", "--help"], ["identify", "--help"]])
def test_help_loads_neither_rich_nor_the_library(argv: list[str]) -> None:
    """`rectify --help` (and a command's help) lists the commands without importing them."""
    loaded = _modules_after_help(argv)
    assert sorted(m for m in loaded
                  if any(m == p or m.startswith(f"{p}.") for p in NOT_FOR_HELP)) == []


def test_output_console_is_made_on_first_use() -> None:
    """The lazy console forwards reads and writes to a rich `Console` made on first use."""
    from rectify.cli import _common

    console = _common._LazyConsole(width=33, highlight=False)
    assert object.__getattribute__(console, "_console") is None
    assert console.width == 33
    console.width = 41
    assert console.width == 41
    with console.capture() as captured:
        console.print("倒数第1 [x]", markup=False)
    assert captured.get() == "倒数第1 [x]\n"
    assert _common.escape("[bold]") == "\\[bold]"
    assert _common.rich_console(console) is object.__getattribute__(console, "_console")
    assert _common.rich_console(_common.rich_console(console)) is _common.rich_console(console)
