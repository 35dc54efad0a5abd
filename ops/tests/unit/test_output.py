"""Progress bars on a terminal never corrupt --json, and pieces of work running at once share one display."""
import io
import json
from concurrent.futures import ThreadPoolExecutor

from aftersales_ops.output import Output


def test_bars_of_work_done_side_by_side_go_to_stderr_only():
    out, err = io.StringIO(), io.StringIO()
    output = Output(as_json=True, stdout=out, stderr=err, progress=True)

    def work(name):
        with output.progress(name, 3) as step:
            for _ in range(3):
                step.advance()
        return name

    with ThreadPoolExecutor(3) as pool:
        assert sorted(pool.map(work, ["engineers", "stock receipts", "installed base"])) == [
            "engineers", "installed base", "stock receipts"]
    output.emit({"done": True}, text="done")
    assert json.loads(out.getvalue()) == {"done": True}
    assert "stock receipts" in err.getvalue()
    assert output._bars is None  # the display was stopped once the last piece finished


def test_an_empty_table_says_so_in_one_line():
    out = io.StringIO()
    Output(stdout=out, progress=False).emit({"messages": []}, table=(("id",), []), title="0 unroutable message(s)")
    assert out.getvalue().strip() == "0 unroutable message(s)"
