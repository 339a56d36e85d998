"""The self-contained HTML builder."""

import pandas as pd
import pytest

from genoclass.reporting.html import (
    Section,
    format_value,
    image_html,
    pre_html,
    render_page,
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
    assert "&quot;quoted&quot;" in page
    assert 'href="#metrics-more"' in page and 'id="metrics-more-2"' in page
    assert "<style>" in page and "http" not in page


def test_table_html_from_frame_records_and_mapping():
    frame = pd.DataFrame({"name": ["<a>"], "score": [0.123456], "n": [3]})
    html = table_html(frame)
    assert "&lt;a&gt;" in html and "<a>" not in html
    assert '<td class="num">0.1235</td>' in html and '<td class="num">3</td>' in html
    assert "<th>score</th>" in table_html([{"score": 1.0}])
    mapping = table_html({"ci95": [0.1, 0.25], "missing": None})
    assert "[0.1, 0.25]" in mapping and "–" in mapping


def test_table_html_index_is_optional():
    frame = pd.DataFrame({"f1": [0.5]}, index=pd.Index(["cls"], name="class"))
    assert "cls" not in table_html(frame)
    assert "<th>class</th>" in table_html(frame, index=True)


def test_format_value_cases():
    assert format_value(float("nan")) == "–"
    assert format_value(True) == "True"
    assert format_value(12345678) == "12345678"
    assert format_value(0.000123456) == "0.0001235"


def test_image_html_only_embeds_data_uris():
    assert image_html("data:image/png;base64,AAAA", 'a "plot"').startswith(
        '<img src="data:image/png;base64,AAAA" alt="a &quot;plot&quot;"'
    )
    with pytest.raises(ValueError):
        image_html("http://example.org/x.png", "remote")


def test_text_and_pre_escape():
    assert text_html("<x>", muted=True) == '<p class="muted">&lt;x&gt;</p>'
    assert pre_html("a: <b>") == "<pre>a: &lt;b&gt;</pre>"
