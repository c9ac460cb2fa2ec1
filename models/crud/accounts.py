"""Accounts and contacts. These join the caller's transaction: they flush, the caller commits."""

from __future__ import annotations

import sqlalchemy as sa
from sqlmodel import Session, col, select

from models.tables import Account, Contact


def upsert_account(session: Session, *, name: str) -> Account:
    """Get the account called `name`, creating it when missing (flushes; the caller commits)."""
    clean = " ".join(name.split())
    account = session.exec(select(Account).where(Account.name == clean)).first()
    if account is None:
        account = Account(name=clean)
        session.add(account)
        session.flush()
    return account


def find_contact(
    session: Session, *, account: Account, name: str, email: str | None = None
) -> Contact | None:
    """Find a contact by email, else by name (case-insensitive) within `account`."""
    if email:
        by_email = session.exec(select(Contact).where(Contact.email == email.strip().lower())).first()
        if by_email is not None:
            return by_email
    statement = select(Contact).where(
        Contact.account_id == account.id, sa.func.lower(Contact.name) == " ".join(name.split()).lower()
    )
    if email:  # a namesake with another address is someone else
        statement = statement.where(col(Contact.email).is_(None))
    return session.exec(statement).first()


def upsert_contact(
    session: Session, *, account: Account, name: str, email: str | None = None, title: str | None = None
) -> Contact:
    """Get or create a contact (by email, else name within the account); fill in missing fields."""
    assert account.id is not None
    email = email.strip().lower() if email else None
    contact = find_contact(session, account=account, name=name, email=email)
    if contact is None:
        contact = Contact(account_id=account.id, name=" ".join(name.split()), email=email, title=title)
        session.add(contact)
    else:
        if email and contact.email is None:
            contact.email = email
        if title:
            contact.title = title
    session.flush()
    return contact
