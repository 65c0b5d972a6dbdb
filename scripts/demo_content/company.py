"""Company documents: overview, org chart, onboarding, on-call runbook, glossary, FAQ, notes, postmortem."""

from __future__ import annotations

from collections import Counter

from demo_content import reference as ref
from demo_content.model import Doc, Table, h2, h3, p, ul
from demo_content.rows import Rows


def overview() -> Doc:
    stores = [[s[1], f"{s[2]}, {s[3]}", s[5], f"{s[6]:,}" if s[6] else "-"] for s in ref.STORES]
    return Doc("company/company-overview.md", "Kestrel Outfitters: Company Overview", blocks=[
        p(f"Kestrel Outfitters, Inc. is an independent outdoor-gear retailer founded in {ref.FOUNDED} by "
          f"Margaret Okafor in Portland, Oregon. Headquarters: {ref.HQ}. We sell our own Kestrel-branded "
          "gear and a curated set of partner products through four regional stores and kestreloutfitters.com."),
        h2("Mission"),
        p("Get more people outside, safely, in gear that lasts. We repair before we replace."),
        h2("Channels and stores"),
        Table(["Store", "Location", "Opened", "Sales floor (sq ft)"], stores),
        p("The online store launched on 2017-03-01 and ships from the Swan Island distribution center in "
          "Portland. Kestrel Denver is the largest store by floor area; Kestrel Burlington is the newest."),
        h2("Fiscal calendar"),
        p("Kestrel's fiscal year is the calendar year: FY2025 runs from January 1 to December 31, 2025. "
          "Quarters are calendar quarters (Q1 = January-March). Quarterly business reviews (QBRs) are held "
          "in the third week after each quarter closes."),
        h2("Product categories"),
        ul(*[c[0] for c in ref.CATEGORIES]),
        h2("Kestrel Club"),
        p("Our free loyalty program has three tiers: none (just signed up), Trail (spent $250+ in the past 12 "
          "months) and Summit (spent $1,000+ in the past 12 months). Trail members receive a 10% birthday "
          "coupon; Summit members receive a 15% coupon and free expedited shipping."),
        h2("Values"),
        ul("Leave no trace: we fund trail maintenance with 1% of net sales.",
           "Repair first: our Portland repair shop fixed 410 items in 2025.",
           "Straight talk: we tell customers when they do not need new gear."),
    ])


def org_chart(rows: Rows) -> Doc:
    emp = rows.tables["employees"]
    by_dept = Counter(e[5] for e in emp)
    leaders = [[f"{e[1]} {e[2]}", e[3], e[4]] for e in ref.LEADERS]
    names = {e[0]: f"{e[1]} {e[2]}" for e in ref.LEADERS}
    return Doc("company/org-chart.md", "Organization Chart and Teams", meta=[("Owner", "Rachel Goldberg, "
               "Director of People"), ("As of", "2025-12-31")], blocks=[
        p(f"Kestrel has {len(emp)} employees. Everyone below reports up to the CEO, Margaret Okafor."),
        h2("Leaders and managers"),
        Table(["Name", "Title", "Department"], leaders),
        h2("Reporting lines"),
        ul(*[f"{names[e[0]]} reports to {names[e[6]]}." for e in ref.LEADERS if e[6]]),
        h2("Headcount by department"),
        Table(["Department", "Employees"], [[d, str(n)] for d, n in sorted(by_dept.items())]),
        h2("Team notes"),
        ul("Security (Aisha Bello) sits inside Engineering and reports to the CTO, Kenji Watanabe.",
           "The online store is run by the E-commerce team under Tomás Lindqvist; Customer Support also "
           "reports to him.",
           "Each retail store has one Store Manager, one Assistant Store Manager and six Sales Associates.",
           "Site Reliability (Samuel Ortiz) owns the on-call rotation."),
    ])


def onboarding() -> Doc:
    return Doc("company/onboarding-guide.md", "New Hire Onboarding Guide", meta=[("Owner", "Rachel Goldberg, "
               "Director of People")], blocks=[
        p("Welcome to Kestrel! This guide covers your first 30 days. Your manager and an onboarding buddy "
          "will walk you through it."),
        h2("Before day 1"),
        ul("Sign your offer and the Confidentiality Agreement in Rippling.",
           "Pick up your laptop (HQ staff) or your store key card (store staff) on day 1 from IT."),
        h2("Week 1"),
        Table(["Day", "What happens"], [
            ["Day 1", "Welcome breakfast at 9:00, laptop setup, 1Password and MFA enrollment"],
            ["Day 2", "Product training: tents, sleeping systems and packs"],
            ["Day 3", "Shadow a store associate or support specialist for a full shift"],
            ["Day 4", "POS and order system training (store staff) or tooling setup (HQ staff)"],
            ["Day 5", "Lunch with your skip-level manager"],
        ]),
        h2("First 30 days"),
        ul("Complete security awareness training within 14 days of your start date.",
           "Complete the Returns & Refunds certification quiz (pass mark 80%) before working a register alone.",
           "Set 30/60/90-day goals with your manager by day 10.",
           "Engineering hires join the on-call rotation as shadow after 6 weeks and as primary after 12 weeks."),
        h2("Benefits at a glance"),
        ul("Employee discount: 40% off list, up to $2,500 of list value per calendar year.",
           "Gear library: borrow tents, packs and skis for free, up to 7 days per loan.",
           "Two paid 'Get Outside' days per year in addition to PTO.",
           "PTO: 15 days in years 1-3, 20 days from year 4."),
    ])


def oncall_runbook() -> Doc:
    return Doc("engineering/on-call-runbook.md", "On-Call Runbook (E-commerce Platform)", meta=[
        ("Owner", "Samuel Ortiz, Site Reliability Lead"), ("Last reviewed", "2025-08-04")], blocks=[
        p("The on-call engineer keeps kestreloutfitters.com, the order pipeline and store POS sync healthy "
          "outside business hours."),
        h2("Rotation"),
        ul("Rotation is weekly, handing over on Mondays at 10:00 Pacific.",
           "There is always a primary and a secondary; the secondary is paged if the primary does not "
           "acknowledge within 10 minutes.",
           "If neither acknowledges within 20 minutes, PagerDuty escalates to the CTO, Kenji Watanabe.",
           "On-call engineers receive a $300 stipend per week on call."),
        h2("Alert response"),
        Table(["Alert", "First check", "Fix"], [
            ["Checkout error rate > 2% for 5 min", "Payment provider status page", "Fail over to backup "
             "processor with `kctl payments failover`"],
            ["Order queue lag > 15 min", "Worker pods in `orders` namespace", "Scale workers to 6 replicas"],
            ["POS sync stale > 30 min", "Store VPN tunnel health", "Restart `pos-sync` for that store"],
            ["Inventory feed failed", "Nightly job logs (runs 02:30 Pacific)", "Re-run the job manually"],
        ]),
        h2("Severity and escalation"),
        p("Use the severity levels from the Information Security Policy (SEV1-SEV3). For SEV1, open a "
          "Zoom bridge, post in #incident and update the status page every 30 minutes."),
        h2("Change freeze"),
        p("No production deploys from the Monday before Thanksgiving through January 2, and never on "
          "Fridays after 14:00 Pacific, except fixes for SEV1/SEV2."),
        h3("Handover checklist"),
        ul("Open incidents and their owners.", "Alerts silenced and why.", "Deploys in flight."),
    ])


def glossary() -> Doc:
    terms = [
        ["AOV", "Average order value: net sales divided by completed orders."],
        ["COGS", "Cost of goods sold: quantity times landed unit cost (products.unit_cost)."],
        ["CSAT", "Customer satisfaction score from the 1-5 post-ticket survey."],
        ["Gross margin", "(Net sales - COGS) / net sales, as a percentage."],
        ["Kestrel Club", "The loyalty program (tiers: none, Trail, Summit)."],
        ["Late return", "A return filed more than 30 days after the order date."],
        ["MAP", "Minimum advertised price set by a manufacturer."],
        ["Net sales", "Sum of quantity x unit price (after discounts) on completed orders; excludes shipping "
         "fees, tax and cancelled orders; not reduced by returns."],
        ["QBR", "Quarterly business review."],
        ["RMA", "Return merchandise authorization (manufacturer warranty process)."],
        ["SEV1/2/3", "Incident severity levels, see the Information Security Policy."],
        ["SKU", "Stock keeping unit, e.g. KO-101."],
    ]
    return Doc("company/glossary.md", "Glossary", blocks=[
        p("Terms used across Kestrel reports and policies."), Table(["Term", "Meaning"], terms)])


def faq() -> Doc:
    return Doc("company/employee-faq.html", "Employee FAQ", blocks=[
        h2("Where do I find the returns window?"),
        p("In the Returns & Refunds Policy: 30 days from the order date, for every loyalty tier."),
        h2("Who approves a late return?"),
        p("A store manager or the Customer Support Manager, Sofia Marchetti."),
        h2("When is payday?"),
        p("Kestrel pays semi-monthly on the 15th and the last business day of the month."),
        h2("How do I book the gear library?"),
        p("Use the #gear-library Slack channel; loans are free for up to 7 days."),
        h2("What is the Wi-Fi network in stores?"),
        p("Staff use 'Kestrel-Staff' (credentials in 1Password). Never put POS terminals on 'Kestrel-Guest'."),
        h2("Who is the Head of Security?"),
        p("Aisha Bello. Report incidents to security@kestreloutfitters.example or #sec-incidents."),
        h2("What are the customer support resolution targets?"),
        p("P1 tickets are resolved within 24 hours, P2 within 72 hours and P3 within 5 business days. "
          "Chat is staffed 08:00-18:00 Pacific on weekdays (extended during the holiday season)."),
        h2("How many Get Outside days do I get?"),
        p("Two paid days per year, on top of PTO."),
    ])


def meeting_notes() -> list[Doc]:
    leadership = Doc("meetings/2025-03-12-leadership-offsite.md", "Leadership Offsite Notes (2025-03-12)", meta=[
        ("Attendees", "Margaret Okafor, Daniel Reyes, Priya Natarajan, Tomás Lindqvist, Kenji Watanabe, "
         "Rachel Goldberg, Luis Carvalho"), ("Note taker", "Rachel Goldberg")], blocks=[
        h2("Decisions"),
        ul("Approved a fifth retail store in Bozeman, Montana, targeted to open in spring 2027 "
           "(budget $1.8M build-out). Site selection lead: Priya Natarajan.",
           "Kestrel Burlington keeps reduced winter hours (closed Mondays, January-March).",
           "Free-shipping threshold stays at $75 for 2025; revisit in Q4.",
           "Apparel clearance stays at 35% maximum; Luis to report clearance sell-through in the Q3 QBR."),
        h2("Discussion"),
        p("Daniel presented FY2024 results (see the Q4 FY2024 QBR). Returns are the second-largest margin "
          "leak after discounting; Sofia's team will audit late-return exceptions monthly."),
        h2("Action items"),
        Table(["Owner", "Action", "Due"], [
            ["Priya Natarajan", "Shortlist three Bozeman sites", "2025-06-30"],
            ["Kenji Watanabe", "Move POS sync to the new event pipeline", "2025-09-30"],
            ["Sofia Marchetti", "Monthly late-return exception report", "2025-04-30"],
        ]),
    ])
    pricing = Doc("meetings/2025-09-18-pricing-committee.md", "Pricing Committee Notes (2025-09-18)", meta=[
        ("Attendees", "Luis Carvalho (chair), Daniel Reyes, Tomás Lindqvist, Grace Liu")], blocks=[
        h2("Agenda"),
        ul("Discounts over the category cap found in the Q2 audit.", "Supplier cost increases for 2026.",
           "Holiday promotion calendar."),
        h2("Notes"),
        p("Grace's audit found order lines discounted 5 points above their category cap, at every store and "
          "online. Store managers will be retrained; POS will block over-cap discounts from 2026-01-15."),
        p("Lodestar Electronics and Summit Down Works announced 2026 cost increases (see the supplier price "
          "list export). Luis proposes absorbing increases under 5% and repricing above that."),
        h2("Decisions"),
        ul("Black Friday 2025: 20% off Tents & Shelters and Packs & Bags, within the caps.",
           "No promotions on Navigation & Electronics in Q4 2025."),
    ])
    return [leadership, pricing]


def postmortem() -> Doc:
    return Doc("incidents/2025-07-19-checkout-outage-postmortem.docx", "Post-Incident Review: Checkout Outage "
               "on 2025-07-19", meta=[("Severity", "SEV1"), ("Incident commander", "Samuel Ortiz"),
                                      ("Status", "Closed 2025-07-24")], blocks=[
        h2("Summary"),
        p("From 11:42 to 13:19 Pacific on Saturday 2025-07-19 (97 minutes), customers could not complete "
          "checkout on kestreloutfitters.com. The payment provider rotated a TLS intermediate certificate and "
          "our pinned certificate bundle rejected it. An estimated 140 checkouts failed."),
        h2("Timeline (Pacific)"),
        Table(["Time", "Event"], [
            ["11:42", "Checkout error rate alert fires (error rate 38%)"],
            ["11:47", "Primary on-call acknowledges"],
            ["12:20", "Root cause identified: pinned certificate bundle"],
            ["12:31", "Attempted failover to backup processor fails (same pinning)"],
            ["13:19", "Hotfix deployed removing the pin; checkout recovers"],
        ]),
        h2("What went well"),
        ul("Alert fired within 2 minutes.", "Status page updated every 30 minutes as the runbook requires."),
        h2("Action items"),
        ul("Remove certificate pinning from all payment clients (owner: Samuel Ortiz, done 2025-07-22).",
           "Test the backup processor failover monthly (owner: Kenji Watanabe).",
           "Email affected customers a 15% apology coupon (owner: Sofia Marchetti, done 2025-07-21)."),
    ])


def all_docs(rows: Rows) -> list[Doc]:
    return [overview(), org_chart(rows), onboarding(), oncall_runbook(), glossary(), faq(), *meeting_notes(),
            postmortem()]
