"""The self-contained HTML builder (Jinja2 templates, autoescaped)."""

from pathlib import Path

import pandas as pd
import pytest

from genoclass.reporting.html import (
    Section,
    final_name,
    format_interval,
    format_mean_sd,
    format_value,
    grid_html,
    image_html,
    join_html,
    links_html,
    pre_html,
    render_page,
    settings_html,
    table_html,
    text_html,
)


def test_render_page_escapes_titles_and_links_sections():
    page = render_page(
        "Run <b>x</b>",
        [Section("Metrics & more", "<p>ok</p>"), Section("Metrics & more", "")],
        subtitle='"quoted"',
    )
    assert page.startswith("<!DOCTYPE html>")
    assert "Run &lt;b&gt;x&lt;/b&gt;" in page and "<b>x</b>" not in page
    assert "&#34;quoted&#34;" in page and '"quoted"' not in page
    assert "<p>ok</p>" in page  # a section's markup is trusted
    assert 'href="#metrics-more"' in page and 'id="metrics-more-2"' in page
    assert "<style>" in page and ".table-wrap" in page  # the CSS file is inlined
    assert "http" not in page and "<link" not in page and "<script" not in page


def test_table_html_escapes_formats_and_scrolls():
    frame = pd.DataFrame({"name": ["<a>"], "score": [0.123456], "n": [3]})
    html = table_html(frame)
    assert html.startswith('<div class="table-wrap">')
    assert "&lt;a&gt;" in html and "<a>" not in html
    assert '<td class="num">0.123</td>' in html and '<td class="num">3</td>' in html
    assert "<th>score</th>" in table_html([{"score": 1.0}])
    mapping = table_html({"ci95": [0.1, 0.25], "missing": None, "count": 400})
    assert "0.100, 0.250" in mapping and "–" in mapping
    assert "<td>400</td>" in mapping  # not 400.0 (a mapping is not upcast); a mixed column
    assert "num" not in mapping  # is left-aligned


def test_table_html_index_is_optional():
    frame = pd.DataFrame({"f1": [0.5]}, index=pd.Index(["cls"], name="class"))
    assert "cls" not in table_html(frame)
    assert "<th>class</th>" in table_html(frame, index=True)


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (float("nan"), "–"),
        (None, "–"),
        (True, "yes"),
        (0, "0"),
        (0.0, "0"),
        (42, "42"),
        (12345678, "12,345,678"),
        (0.96601, "0.966"),
        (-1.5, "-1.500"),
        (84.14, "84.1"),
        (186.0, "186"),
        (1234.5, "1,234"),
        (0.000123456, "1.2e-04"),
        (float("inf"), "∞"),
        ([1, 0.5], "1, 0.500"),
        ("text", "text"),
    ],
)
def test_format_value_one_rule_for_every_page(value, text):
    assert format_value(value) == text


def test_intervals_and_mean_sd():
    assert format_interval([0.9551, 0.977]) == "0.955 – 0.977"
    assert format_interval(None) == "–"
    assert format_mean_sd(0.9, 0.0123) == "0.900 ± 0.012"
    assert format_mean_sd(0.9, None) == format_mean_sd(0.9, float("nan")) == "0.900"
    assert format_mean_sd(0.993, 1.4e-16) == "0.993 ± < 0.001"
    assert format_mean_sd(1.0, 0.0) == "1.000 ± 0"
    assert format_mean_sd(2e-5, 1e-5) == "2.0e-05 ± 1.0e-05"


def test_settings_html_spells_nested_keys_in_words():
    steps = [{"step": "cpm", "genes_in": 60}, {"step": "log2p1", "genes_in": 60}]
    settings = {"model_params": {"embed_dim": 16, "channels": [16, 32]}, "seed": 42}
    html = settings_html({**settings, "steps": steps})
    assert "model params › embed dim" in html and "16, 32" in html
    assert "<td>step cpm, genes in 60; step log2p1, genes in 60</td>" in html
    assert "<th>setting</th>" in html and "<td>42</td>" in html


def test_grid_html_rows_columns_and_totals():
    html = grid_html({"train": {"a": 3, "b": 4}, "test": {"b": 1}}, row="split", total=True)
    headers = ["split", "a", "b", "total"]
    assert "".join(f"<th>{h}</th>" for h in headers) in html
    assert '<td>test</td><td class="num">–</td>' in html and '<td class="num">7</td>' in html


def test_final_name_drops_the_staging_suffix():
    assert final_name(Path("/x/RUN.partial")) == "RUN" and final_name(Path("run")) == "run"


def test_image_html_only_embeds_data_uris():
    assert image_html("data:image/png;base64,AAAA", 'a "plot"').startswith(
        '<img src="data:image/png;base64,AAAA" alt="a &#34;plot&#34;"'
    )
    with pytest.raises(ValueError):
        image_html("http://example.org/x.png", "remote")


def test_text_pre_links_escape_and_join():
    assert text_html("<x>", muted=True) == '<p class="muted">&lt;x&gt;</p>'
    assert pre_html("a: <b>") == "<pre>a: &lt;b&gt;</pre>"
    links = links_html([("a b/report.html", "<run>")], "Reports:")
    assert '<a href="a b/report.html">&lt;run&gt;</a>' in links and "<p>Reports:</p>" in links
    assert join_html([text_html("a"), "<hr>"]) == "<p>a</p><hr>"
