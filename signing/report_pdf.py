"""The validation report as a PDF for an auditor, drawn server-side with fpdf2.

The text comes from :class:`signing.reports.ReportView` in the reader's language. The font is
DejaVu Sans, kept in ``signing/fonts/`` with its licence (Bitstream Vera; DejaVu changes are in
the public domain), so Lithuanian, Latvian, Estonian and Nordic names render on any machine.
"""

from __future__ import annotations

from pathlib import Path

from django.utils.translation import gettext as _
from fpdf import FPDF
from fpdf.fonts import FontFace

from signing.reports import ReportView

FONTS = Path(__file__).resolve().parent / "fonts"
_FAMILY = "DejaVuSans"


def report_pdf(report: ReportView) -> bytes:
    """The report's PDF bytes (A4, one table row per signature)."""
    pdf = FPDF(format="A4")
    pdf.set_title(_("Validation report"))
    pdf.set_creator("Portal")
    pdf.add_font(_FAMILY, "", FONTS / "DejaVuSans.ttf")
    pdf.add_font(_FAMILY, "B", FONTS / "DejaVuSans-Bold.ttf")
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.add_page()
    pdf.set_font(_FAMILY, "B", 16)
    pdf.multi_cell(0, 9, _("Validation report"), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    pdf.set_font(_FAMILY, "", 10)
    for label, value in report.facts():
        pdf.set_font(_FAMILY, "B", 10)
        pdf.cell(55, 6, label)
        pdf.set_font(_FAMILY, "", 10)
        pdf.multi_cell(0, 6, value, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    pdf.set_font(_FAMILY, "B", 12)
    pdf.multi_cell(0, 7, report.verdict_label, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    if report.signatures:
        pdf.set_font(_FAMILY, "", 9)
        headings = (_("Signer"), _("Certificate issuer"), _("Signing time"), _("Level"), _("Valid"))
        with pdf.table(
            col_widths=(40, 50, 35, 35, 20),
            headings_style=FontFace(emphasis="BOLD"),
            line_height=5,
        ) as table:
            table.row(headings)
            for signature in report.signatures:
                table.row(
                    (
                        signature.signer,
                        signature.issuer,
                        signature.signing_time_text,
                        signature.level_text,
                        signature.valid_text,
                    )
                )
    pdf.ln(4)
    pdf.set_font(_FAMILY, "", 8)
    pdf.multi_cell(0, 4, report.source_note, new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())
