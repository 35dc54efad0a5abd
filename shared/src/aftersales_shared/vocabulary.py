"""The contract's words: every value the services exchange from a closed list, and the shape of codes.

One definition each, read by the wire schemas and by the domain rules that act on them. Plain constants
only, so a service's domain can import them without pulling in any framework.
"""
CHANNELS = ("hotline", "walk_in", "mail_in", "web", "dealer")
SERVICE_TYPES = ("onsite", "depot", "mail_in", "install")
PRIORITIES = ("P1", "P2", "P3", "P4")
OUTCOMES = ("repaired", "replaced", "unrepairable", "no_fault_found", "installed")

IN_WARRANTY = "in_warranty"
OUT_OF_WARRANTY = "out_of_warranty"
WARRANTY_UNKNOWN = "unknown"
#: As decided after inspection (RepairCompleted, SettlementPosted): someone has said which it is.
WARRANTY_STATUSES = (IN_WARRANTY, OUT_OF_WARRANTY)
#: As intake can tell when a ticket is accepted (TicketCreated): without proof of purchase nobody knows yet.
TICKET_WARRANTY_STATUSES = (IN_WARRANTY, OUT_OF_WARRANTY, WARRANTY_UNKNOWN)

CUSTOMER = "customer"
MANUFACTURER = "manufacturer"
PAYERS = (CUSTOMER, MANUFACTURER)
LINE_KINDS = ("labour", "part", "travel", "shipping", "inspection", "penalty", "adjustment")

#: Region and site (service point) codes; also the last two parts of every routing key.
CODE_PATTERN = r"^[A-Za-z0-9-]{1,32}$"
CODE_MESSAGE = "Must be 1-32 letters, digits or '-'."
EVENT_TYPE_PATTERN = r"^[A-Z][A-Za-z]+$"
SOURCE_PATTERN = r"^(intake|dispatch|inventory|billing|fracas|partner/[A-Za-z0-9_-]+)$"
CURRENCY_PATTERN = r"^[A-Z]{3}$"
MONEY_PATTERN = r"^-?[0-9]+\.[0-9]{2}$"
