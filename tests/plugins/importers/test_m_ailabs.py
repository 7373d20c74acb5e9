"""`sttx import m_ailabs` on a generated de_DE/by_book tree (female, male and mix books) and its .tgz."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from sttx.cli import build_cli
from sttx.core.data.importing import CorpusError, LabelFilter
from sttx.plugins.importers._common import ImportOptions
from sttx.plugins.importers.m_ailabs import prepare_m_ailabs
from sttx.plugins.validators.en import validate_label_en
from tests.plugins.importers.corpora import assert_accounted, check_clips, make_m_ailabs, tar_folder

EN = ImportOptions(label_filter=LabelFilter(validate=validate_label_en), jobs=1, max_secs=15)
SETS = ("train", "dev", "test")


def test_books_normalized_column_skiplist_and_bad_lines(tmp_path):
    corpus = make_m_ailabs(tmp_path)
    book = corpus / "by_book" / "mix" / "caspar" / "metadata.csv"
    book.write_text(book.read_text(encoding="utf-8") + "caspar_09_f000099|only two fields\n", encoding="utf-8")
    report = prepare_m_ailabs(corpus, skiplist="kleine_lord", options=EN)
    assert assert_accounted(report) == {"skiplist": 3, "malformed_row": 1}
    assert sum(report.counts(name)["imported"] for name in SETS) == 9
    rows = [row for name in SETS for row in check_clips(corpus / "sttx_import" / f"m_ailabs-{name}.csv")]
    assert all(row["transcript"].endswith(" ein mal") for row in rows)  # the normalized column, digits spelled
    assert {row["wav_filename"].split("/")[3] for row in rows} == {"eva_k", "karlsson", "caspar"}
    speakers = {row.speaker for rows in report.outcomes.values() for row in rows if row.imported}
    assert speakers == {"eva_k", "karlsson", "mix"}
    skipped = [row for rows in report.outcomes.values() for row in rows if row.reason == "skiplist"]
    assert {row.detail for row in skipped} == {"kleine_lord is on the skiplist"}


def test_skiplist_of_a_speaker_and_the_split_by_clip(tmp_path):
    corpus = make_m_ailabs(tmp_path)
    report = prepare_m_ailabs(corpus, skiplist=["karlsson", "nobody"], dev_percent=25, test_percent=25, options=EN)
    assert assert_accounted(report) == {"skiplist": 6}
    assert [report.counts(name)["rows"] for name in SETS] == [6, 3, 3]


def test_language_archive_through_the_cli_and_errors(tmp_path, pm):
    corpus = make_m_ailabs(tmp_path / "src")
    archive = tar_folder(corpus, tmp_path / "de_DE.tgz")
    result = CliRunner().invoke(build_cli(pm), ["import", "m_ailabs", str(archive), "--skiplist", "mix", "--jobs", "2",
                                                "--validate_label_locale", "en"])
    assert result.exit_code == 0, result.output
    assert "Skipped 3 samples that belong to a book or speaker on the --skiplist." in result.output
    assert (tmp_path / "de_DE" / "de_DE" / "sttx_import" / "m_ailabs-train.csv").is_file()
    (tmp_path / "empty" / "by_book").mkdir(parents=True)
    with pytest.raises(CorpusError, match=r"by_book: no metadata\.csv in any book folder"):
        prepare_m_ailabs(tmp_path / "empty", options=EN)
    result = CliRunner().invoke(build_cli(pm), ["import", "m_ailabs", str(tmp_path / "src" / "de_DE" / "by_book")])
    assert result.exit_code == 1 and "no by_book/ (M-AILABS layout" in result.output
