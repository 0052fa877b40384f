"""Every notebook runs top to bottom on small sizes (PARTIALOPT_NB_SMALL=1); their own cells assert
the cross-checks (proven optima agree, bounds hold, custom constraints are respected)."""

import nbformat
import pytest
from nbclient import NotebookClient

from tests import ROOT

NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


def test_the_three_notebooks_exist():
    assert {p.name for p in NOTEBOOKS} >= {"optimality_gaps.ipynb", "paper_figures.ipynb", "formulations.ipynb"}


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_runs(path, tmp_path, monkeypatch):
    monkeypatch.setenv("PARTIALOPT_NB_SMALL", "1")
    nb = nbformat.read(path, as_version=4)
    NotebookClient(nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}).execute()
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    images = sum("image/png" in o.get("data", {}) for o in outputs)
    if path.stem != "formulations":
        assert images >= 1, "the notebook should show its plots"
    # progress bars without tqdm's "IProgress not found" warning when ipywidgets is missing
    text = "".join(o.get("text", "") for o in outputs if o.get("output_type") == "stream")
    assert "IProgress" not in text and "TqdmWarning" not in text, text
    # files the notebook writes go to out/ (ignored by git), nothing else beside the notebook
    assert {p.name for p in tmp_path.iterdir()} <= {"out"}
