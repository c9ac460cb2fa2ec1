"""Accounts and contacts. These join the caller's transaction: they flush, the caller commits.

A contact created or changed queues a `contact` change event (`created` / `updated`, with the
changed fields) with the caller's commit, so the change feed carries what the CRM and calls add.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from models.crud.changes import record_change
from models.crud.versions import touch_contact_deals
from models.enums import ChangeEntity
from models.tables import Account, Contact


def clean_name(name: str) -> str:
    """Return a name as stored: single spaces, no leading or trailing space."""
    return " ".join(name.split())


def upsert_account(session: Session, *, name: str, known: dict[str, Account] | None = None) -> Account:
    """Get the account called `name`, creating it when missing (flushes; the caller commits).

    `known`: accounts already read, by clean name (a bulk upsert's); absent there means absent.
    """
    clean = clean_name(name)
    if known is not None:
        account = known.get(clean)
    else:
        account = session.exec(select(Account).where(Account.name == clean)).first()
    if account is None:
        account = Account(name=clean)
        session.add(account)
        session.flush()
        if known is not None:
            known[clean] = account
    return account


def find_contact(
    session: Session,
    *,
    account: Account,
    name: str,
    email: str | None = None,
    known: dict[str, Contact] | None = None,
) -> Contact | None:
    """Find a contact by email, else by name (case-insensitive) within `account`.

    `known`: contacts already read, by email (a bulk upsert's); absent there means no such email.
    """
    if email:
        address = email.strip().lower()
        if known is not None:
            by_email = known.get(address)
        else:
            by_email = session.exec(select(Contact).where(Contact.email == address)).first()
        if by_email is not None:
            return by_email
    statement = select(Contact).where(
        Contact.account_id == account.id, sa.func.lower(Contact.name) == " ".join(name.split()).lower()
    )
    if email:  # a namesake with another address is someone else
        statement = statement.where(col(Contact.email).is_(None))
    return session.exec(statement).first()


def upsert_contact(
    session: Session,
    *,
    account: Account,
    name: str,
    email: str | None = None,
    title: str | None = None,
    authoritative: bool = False,
    known: dict[str, Contact] | None = None,
) -> Contact:
    """Get or create a contact (by email, else name within the account); fill in missing fields.

    `authoritative` (the CRM naming a contact by email): its name and account replace ours.
    """
    assert account.id is not None
    email = email.strip().lower() if email else None
    clean_name = " ".join(name.split())
    contact = find_contact(session, account=account, name=name, email=email, known=known)
    if contact is None:
        contact = Contact(account_id=account.id, name=clean_name, email=email, title=title)
        session.add(contact)
        session.flush()
        if known is not None and email:
            known[email] = contact
        _record_contact_change(session, contact, account, "created", None)
        return contact
    incoming: dict[str, Any] = {"title": title} if title else {}
    if email and contact.email is None:
        incoming["email"] = email
    if authoritative:
        incoming.update(name=clean_name, account_id=account.id)
    changes = {
        field: [getattr(contact, field), new]
        for field, new in incoming.items()
        if getattr(contact, field) != new
    }
    if changes:
        contact.sqlmodel_update({field: new for field, (_old, new) in changes.items()})
        session.flush()
        _record_contact_change(session, contact, account, "updated", changes)
        assert contact.id is not None
        touch_contact_deals(session, contact_id=contact.id)
    if known is not None and contact.email:  # a namesake may just have been given this address
        known[contact.email] = contact
    return contact


def _record_contact_change(
    session: Session, contact: Contact, account: Account, kind: str, changes: dict[str, Any] | None
) -> None:
    assert contact.id is not None
    own = account if account.id == contact.account_id else session.get(Account, contact.account_id)
    data: dict[str, Any] = {
        "email": contact.email,
        "name": contact.name,
        "title": contact.title,
        "account": own.name if own is not None else None,
    }
    if changes is not None:
        data["changes"] = changes
    record_change(session, entity=ChangeEntity.CONTACT, entity_id=contact.id, type=kind, data=data)
