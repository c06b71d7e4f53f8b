-- The legacy ERP as such systems look: short upper-case names, CHAR-padded fields, dates as
-- YYYYMMDD strings, one-letter status codes, Latin-1 text, customer numbers as keys, and a
-- last-change timestamp of one-second granularity (LCHG) with the last-change user (LUSR).
CREATE TABLE CUSTMST (
    CUSTNO  CHAR(10)      NOT NULL,
    CNAME   CHAR(40)      NOT NULL,
    CNAM2   CHAR(40),
    CSTRT   CHAR(40),
    CZIP    CHAR(10),
    CCITY   CHAR(30),
    CCTRY   CHAR(3),
    CPHON   CHAR(20),
    CEMAL   CHAR(60),
    CWWW    CHAR(60),
    CRTRM   CHAR(4),
    CSTAT   CHAR(1)       NOT NULL,
    CRDAT   CHAR(8),
    LCHG    DATETIME(0)   NOT NULL,
    LUSR    CHAR(10)      NOT NULL,
    PRIMARY KEY (CUSTNO)
) ENGINE=InnoDB DEFAULT CHARSET=latin1;

CREATE INDEX CUSTMST_LCHG ON CUSTMST (LCHG, CUSTNO);

CREATE TABLE CONTMST (
    CONTNO  CHAR(10)      NOT NULL,
    CUSTNO  CHAR(10)      NOT NULL,
    FNAME   CHAR(30),
    LNAME   CHAR(30)      NOT NULL,
    CROLE   CHAR(3),
    CPHON   CHAR(20),
    CEMAL   CHAR(60),
    LCHG    DATETIME(0)   NOT NULL,
    LUSR    CHAR(10)      NOT NULL,
    PRIMARY KEY (CONTNO)
) ENGINE=InnoDB DEFAULT CHARSET=latin1;

CREATE INDEX CONTMST_LCHG ON CONTMST (LCHG, CONTNO);

CREATE TABLE ORDHDR (
    ORDNO   CHAR(10)      NOT NULL,
    CUSTNO  CHAR(10)      NOT NULL,
    ODATE   CHAR(8)       NOT NULL,
    OSTAT   CHAR(2)       NOT NULL,
    CURR    CHAR(3)       NOT NULL,
    OTOTL   DECIMAL(13,2) NOT NULL,
    LCHG    DATETIME(0)   NOT NULL,
    LUSR    CHAR(10)      NOT NULL,
    PRIMARY KEY (ORDNO)
) ENGINE=InnoDB DEFAULT CHARSET=latin1;

CREATE INDEX ORDHDR_LCHG ON ORDHDR (LCHG, ORDNO);

CREATE TABLE ORDLIN (
    ORDNO   CHAR(10)      NOT NULL,
    LINNO   INT           NOT NULL,
    ITEM    CHAR(18)      NOT NULL,
    IDESC   CHAR(40),
    QTY     DECIMAL(11,3) NOT NULL,
    PRICE   DECIMAL(11,2) NOT NULL,
    PRIMARY KEY (ORDNO, LINNO)
) ENGINE=InnoDB DEFAULT CHARSET=latin1;
