"""Statements and invoices as files a service point's accountant takes: CSV and PDF (ReportLab)."""
from __future__ import annotations

import csv
import io

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

_HEADER_STYLE = TableStyle([
    ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#dde4ee")),
    ("FONTNAME", (0, 0), (-1, 0), "Helvetica-Bold"),
    ("GRID", (0, 0), (-1, -1), 0.5, colors.grey),
    ("ALIGN", (-1, 1), (-1, -1), "RIGHT"),
    ("VALIGN", (0, 0), (-1, -1), "TOP"),
])


def statement_rows(body: dict) -> list[list[str]]:
    """One row per figure: section, item, count, amount. Same rows in the CSV and the PDF."""
    rows = [["section", "item", "count", "amount"]]
    for fee in body["fee_summary"]:
        rows.append(["fees", f"{fee['service_type']} (labour {fee['labour']}, parts {fee['parts']})",
                     str(fee["jobs"]), fee["amount"]])
    rows.append(["fees", "warranty total", "", body["warranty_total"]])
    oow = body["out_of_warranty"]
    rows.append(["out_of_warranty", "charges collected from customers", str(oow["jobs"]), oow["amount"]])
    late = body["late_adjustments"]
    if late["jobs"]:
        rows.append(["adjustments", "jobs of earlier closed periods (in the fees above)", str(late["jobs"]),
                     late["amount"]])
    for penalty in body["penalties"]:
        rows.append(["penalties", f"{penalty['ticket_id']}: {penalty['description']}", "1", penalty["amount"]])
    rows.append(["penalties", "penalties total", "", body["penalties_total"]])
    for deposit in body["deposits"]:
        rows.append(["deposits", deposit["description"], "", deposit["amount"]])
    rows.append(["deposits", "deposits total", "", body["deposits_total"]])
    rows.append(["net", "net payable", "", body["net_payable"]])
    return rows


def statement_csv(body: dict) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["payee", body["payee"], "period", body["period"], "currency", body["currency"],
                     "status", body["status"]])
    for row in statement_rows(body):
        writer.writerow(row)
    return out.getvalue()


def statement_pdf(body: dict) -> bytes:
    styles = getSampleStyleSheet()
    status = f"issued {body['issued_at']}" if body["issued_at"] else "open (provisional)"
    story = [
        Paragraph(f"Service fee statement {body['period']}", styles["Title"]),
        Paragraph(f"Service point: <b>{_escape(body['payee'])}</b> &nbsp; Currency: {body['currency']} "
                  f"&nbsp; Status: {status}", styles["Normal"]),
        Spacer(1, 6 * mm),
        _table(statement_rows(body), [30 * mm, 95 * mm, 15 * mm, 30 * mm]),
        Spacer(1, 6 * mm),
        Paragraph(f"Net payable to {_escape(body['payee'])}: <b>{body['net_payable']} {body['currency']}</b>",
                  styles["Heading2"]),
    ]
    return _render(story, f"Statement {body['payee']} {body['period']}")


def invoice_pdf(body: dict) -> bytes:
    styles = getSampleStyleSheet()
    rows = [["item", "part", "qty", "unit", "amount"]] + [
        [line["description"], line["part_no"] or "", line["qty"], line["unit_amount"], line["amount"]]
        for line in body["lines"]
    ]
    rows.append(["Total", "", "", "", body["total"]])
    story = [
        Paragraph(f"Invoice {body['invoice_no']}", styles["Title"]),
        Paragraph(f"Ticket {_escape(body['ticket_id'])}, work order {_escape(body['work_order_id'])}, "
                  f"service point {_escape(body['service_point'])}, issued {body['issued_at']}", styles["Normal"]),
        Spacer(1, 6 * mm),
        _table(rows, [70 * mm, 30 * mm, 15 * mm, 25 * mm, 30 * mm]),
        Spacer(1, 6 * mm),
        Paragraph(f"Amount due: <b>{body['total']} {body['currency']}</b>", styles["Heading2"]),
    ]
    return _render(story, body["invoice_no"])


def _table(rows: list[list[str]], widths) -> Table:
    styles = getSampleStyleSheet()
    # Wrapped paragraphs, so a long description grows its row instead of running over the next column.
    cells = [[Paragraph(_escape(str(cell)), styles["BodyText"]) if index < 2 else cell
              for index, cell in enumerate(row)] for row in rows]
    table = Table(cells, colWidths=widths, repeatRows=1)
    table.setStyle(_HEADER_STYLE)
    return table


def _render(story, title: str) -> bytes:
    out = io.BytesIO()
    # invariant=1: the same statement renders to the same bytes (no creation time or random id inside).
    SimpleDocTemplate(out, pagesize=A4, title=title, author="billing", invariant=1,
                      leftMargin=15 * mm, rightMargin=15 * mm).build(story)
    return out.getvalue()


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
