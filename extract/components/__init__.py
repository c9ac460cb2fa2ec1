"""spaCy components registered by DealSignal (importing this module registers the factories)."""

from extract.components.authority import AuthorityCues
from extract.components.due_dates import DueDateResolver
from extract.components.names import NameSpotter
from extract.components.people import PeopleLinker

__all__ = ["AuthorityCues", "DueDateResolver", "NameSpotter", "PeopleLinker"]
